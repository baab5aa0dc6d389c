"""Single use of a code holds when many exchanges race, over real HTTP (checklist row 8)."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model

from mtp.developers.models import RedeemedCode
from testing.builders import CODE_REDIRECT_URI
from testing.pages import get_code

AccessToken = get_access_token_model()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded")
@pytest.mark.checklist(8, "RFC 6749 4.1.2, RFC 6819 5.1.5.4")
def test_ten_parallel_exchanges_of_one_code_give_exactly_one_token(live_server, owner, code_app):
    client = Client()
    client.force_login(owner)
    code, verifier = get_code(client, code_app)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": code_app.client_id,
        "redirect_uri": CODE_REDIRECT_URI,
    }

    def exchange(_: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            return http.post("/api/v1/token", data=data).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(exchange, range(10)))
    assert statuses.count(200) == 1, statuses
    assert statuses.count(400) == 9, statuses
    # The losers are replays of a used code, which revokes what the winner got (row 7):
    # at most that one token ever existed, and it is gone or going.
    assert AccessToken.objects.filter(application=code_app).count() <= 1
    assert RedeemedCode.objects.get(application=code_app).replayed
