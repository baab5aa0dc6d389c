"""The MTP Desktop Uploader's own requests, byte for byte, where it used to let people down.

Each request is what its axios 0.21 client sends: `Accept: application/json, text/plain, */*`,
`Connection: close`, no `client_id`, a form for the create and JSON for the imports, with
their trailing slashes; and the uploader judges replies its way: any 2xx without an `error`
key is done, anything else is sent again later (axios-retry: up to three times at once).
"""

import json
import logging
import subprocess
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import httpx
import pytest
from django.core.management import call_command
from django.test import Client

from mtp.cli import served_url
from mtp.imports.models import ImportJob
from mtp.sequences.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    TAG_MAX_LENGTH,
    Sequence,
    SequenceAlias,
)
from testing.fake_mapillary import OWNER, RECORDED_SEQUENCE, STRANGER
from testing.processes import (
    free_port,
    fresh_instance_env,
    mtp_command,
    running,
    wait_for_http,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]

AXIOS_HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "Connection": "close",
    "User-Agent": "axios/0.21.4",
}
PAIR = {"mapillary_user_token": OWNER.token, "mapillary_sequence_key": RECORDED_SEQUENCE}


class Uploader:
    """The requests of the uploader's code, each on a connection of its own."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.headers = {**AXIOS_HEADERS, "Authorization": f"Bearer {token}"}

    def send(self, method: str, path: str, *, content=None, content_type=None, headers=None):
        sent = {**self.headers, **(headers or {})}
        if content_type:
            sent["Content-Type"] = content_type
        return httpx.request(
            method, self.base_url + path, content=content, headers=sent, timeout=60
        )

    def create(self, name: str, *, description="", tags=(), headers=None, transport="Walk"):
        form = {
            "name": name,
            "description": description,
            "transport_type": transport,
            "tag": ",".join(tags),
            "source": "mtpdu",
        }
        return self.send(
            "POST",
            "/api/v1/sequence/create/",
            content=urlencode(form),
            content_type="application/x-www-form-urlencoded;charset=utf-8",
            headers=headers,
        )

    def put(self, unique_id: str, body: dict, *, headers=None):
        return self.send(
            "PUT",
            f"/api/v1/sequence/import/{unique_id}/",
            content=json.dumps(body, separators=(",", ":")),
            content_type="application/json;charset=utf-8",
            headers=headers,
        )

    def draft(self, name: str = "Lake walk", **options) -> str:
        created = self.create(name, **options)
        assert created.status_code == 201, created.text
        return created.json()["unique_id"]


def done(response: httpx.Response) -> bool:
    """How the uploader judges a reply: a 2xx whose JSON has no `error` key."""
    return 200 <= response.status_code < 300 and "error" not in response.json()


def run_worker() -> None:
    call_command("worker", "--batch", "--interval", "0")


@pytest.fixture
def uploader(live_server, owner_token) -> Uploader:
    return Uploader(live_server.url, owner_token)


# 1. Sign-in relays --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/accounts/check-mtpu-mapillary-oauth", "app.mtp.desktop://mapillary"),
        ("/accounts/check-mtpu-google-oauth", "app.mtp.desktop://google"),
        ("/exchange_token", "app.mtp.desktop://strava"),
    ],
)
def test_sign_in_relays_hand_the_query_string_to_the_app_unchanged(
    live_server, caplog, path, target
):
    caplog.set_level(logging.DEBUG)
    query = "state=&code=c0de-7f3a%2Bx&scope=read,activity:read_all&next=https://evil.example/"
    response = httpx.get(f"{live_server.url}{path}?{query}", headers=AXIOS_HEADERS)
    assert response.status_code == 302
    # The target is fixed: nothing in the query chooses it.
    assert response.headers["location"] == f"{target}?{query}"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert "c0de-7f3a" not in caplog.text
    bare = httpx.get(f"{live_server.url}{path}", headers=AXIOS_HEADERS)
    assert bare.headers["location"] == target
    refused = httpx.post(f"{live_server.url}{path}?{query}")
    assert refused.status_code in (403, 405)
    assert "location" not in refused.headers


# 2. An empty import body ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {
            "google_street_view": None,
            "strava": None,
            "mapillary_sequence_key": None,
            "mapillary_user_token": None,
            "seq_key": None,
            "token": None,
            "refresh": None,
        },
    ],
    ids=["empty", "nulls"],
)
def test_an_import_without_anything_to_attach_is_done_and_changes_nothing(uploader, body):
    unique_id = uploader.draft(tags=("lake",))
    before = Sequence.objects.get(unique_id=unique_id)
    response = uploader.put(unique_id, body)
    assert response.status_code == 200
    assert done(response)
    assert response.json()["sequence"]["status"] == "draft"
    after = Sequence.objects.get(unique_id=unique_id)
    assert after.updated_at == before.updated_at
    # So the upload goes on: the Mapillary pair follows and is accepted.
    assert uploader.put(unique_id, PAIR).status_code == 202


# 3. Failures the uploader can see ------------------------------------------------------------


def test_a_mapillary_sequence_that_does_not_exist_is_refused_before_a_202(uploader, fake_mapillary):
    unique_id = uploader.draft()
    response = uploader.put(unique_id, {**PAIR, "mapillary_sequence_key": "notuploadedyet"})
    assert response.status_code == 422
    assert "Mapillary has no images for sequence notuploadedyet" in response.json()["error"]
    # The uploader sends it again on its next poll: once Mapillary has it, it is accepted.
    fake_mapillary.add_sequence("notuploadedyet", 3)
    assert (
        uploader.put(unique_id, {**PAIR, "mapillary_sequence_key": "notuploadedyet"}).status_code
        == 202
    )


def test_a_mapillary_sequence_of_someone_else_is_refused_before_a_202(uploader, fake_mapillary):
    fake_mapillary.add_sequence("strangers-ride", 4, owner=STRANGER)
    unique_id = uploader.draft()
    response = uploader.put(unique_id, {**PAIR, "mapillary_sequence_key": "strangers-ride"})
    assert response.status_code == 403
    assert "not by vorpalblade" in response.json()["error"]
    assert not ImportJob.objects.exists()


def test_mapillary_down_during_the_call_is_a_202_and_the_worker_waits_it_out(
    uploader, fake_mapillary, settings
):
    fake_mapillary.inject("server_error", "/", times=3)
    unique_id = uploader.draft()
    # axios-retry would send a 503 again at once, three times: it gets a 202 the first time.
    response = uploader.put(unique_id, PAIR)
    assert response.status_code == 202
    assert done(response)
    run_worker()
    sequence = Sequence.objects.get(unique_id=unique_id)
    assert (sequence.status, sequence.image_count) == ("published", 8)


def test_an_import_failing_after_the_202_is_told_by_e_mail_once_with_a_retry_link(
    uploader, owner, fake_mapillary, settings, mailoutbox
):
    settings.MAPILLARY_RETRIES = 0
    fake_mapillary.inject("server_error", "/image_ids", times=None)
    unique_id = uploader.draft("Ridge run")
    assert uploader.put(unique_id, PAIR).status_code == 202
    run_worker()
    run_worker()
    job = ImportJob.objects.get(sequence__unique_id=unique_id)
    assert job.status == "failed"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [owner.email]
    assert "Ridge run" in mail.subject
    assert job.last_error in mail.body
    assert f"/my/sequences/{unique_id}/import/" in mail.body
    assert OWNER.token not in mail.body


def test_no_e_mail_for_someone_who_turned_them_off(
    uploader, owner, fake_mapillary, settings, mailoutbox
):
    owner.import_failure_emails = False
    owner.save(update_fields=["import_failure_emails"])
    settings.MAPILLARY_RETRIES = 0
    fake_mapillary.inject("server_error", "/image_ids", times=None)
    assert uploader.put(uploader.draft(), PAIR).status_code == 202
    run_worker()
    assert ImportJob.objects.get().status == "failed"
    assert mailoutbox == []


# 4. The same person, the same Mapillary sequence, two drafts ----------------------------------


def test_a_resumed_upload_joins_the_draft_that_holds_the_mapillary_sequence(
    uploader, live_server, owner, fake_mapillary
):
    first = uploader.draft("Lake walk", description="Shore", tags=("lake",))
    assert uploader.put(first, PAIR).status_code == 202
    # The person renames it on the site; then the uploader resumes with a second draft.
    renamed = uploader.send(
        "PATCH",
        f"/api/v1/sequence/{first}",
        content=json.dumps({"name": "Lake walk at dawn"}),
        content_type="application/json;charset=utf-8",
    )
    assert renamed.status_code == 200
    second = uploader.draft("Lake walk", description="Shore", tags=("lake",))
    assert done(uploader.put(second, {"google_street_view": "https://maps.app.goo.gl/two"}))

    response = uploader.put(second, PAIR)
    assert response.status_code == 202
    assert done(response)
    assert response.json()["unique_id"] == first
    run_worker()

    assert Sequence.objects.filter(mapillary_sequence_key=RECORDED_SEQUENCE).count() == 1
    kept = Sequence.objects.get(mapillary_sequence_key=RECORDED_SEQUENCE)
    assert str(kept.unique_id) == first
    assert kept.status == "published"
    assert (kept.name, kept.description) == ("Lake walk at dawn", "Shore")
    assert kept.google_street_view == "https://maps.app.goo.gl/two"
    assert not Sequence.objects.filter(unique_id=second).exists()
    # The other id keeps answering: its polls, reads and page lead to the one that holds it.
    again = uploader.put(second, PAIR)
    assert again.status_code == 200
    assert again.json()["unique_id"] == first
    moved = uploader.send("GET", f"/api/v1/sequence/{second}")
    assert moved.status_code == 308
    assert moved.headers["location"].endswith(f"/api/v1/sequence/{first}")
    followed = httpx.get(f"{live_server.url}/api/v1/sequence/{first}", headers=uploader.headers)
    assert followed.json()["name"] == "Lake walk at dawn"
    page = httpx.get(f"{live_server.url}/sequences/{second}/")
    assert page.status_code == 301
    assert page.headers["location"] == f"/sequences/{first}/"


def test_edits_made_to_the_second_draft_win_over_an_unedited_first(uploader, fake_mapillary):
    first = uploader.draft("Lake walk", description="Shore", tags=("lake",))
    assert uploader.put(first, PAIR).status_code == 202
    second = uploader.draft("Lake walk", description="Shore", tags=("lake",))
    edited = uploader.send(
        "PATCH",
        f"/api/v1/sequence/{second}",
        content=json.dumps({"description": "Shore, then the old harbour", "tags": ["harbour"]}),
        content_type="application/json;charset=utf-8",
    )
    assert edited.status_code == 200
    assert done(uploader.put(second, PAIR))
    kept = Sequence.objects.get(unique_id=first)
    assert kept.description == "Shore, then the old harbour"
    assert list(kept.tags.values_list("name", flat=True)) == ["harbour"]


def test_two_drafts_sending_the_same_mapillary_sequence_at_once_end_as_one(
    uploader, fake_mapillary
):
    drafts = [uploader.draft(f"Part {index}") for index in range(2)]
    # Each with axios-retry's three copies, all at once.
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda draft: uploader.put(draft, PAIR), drafts * 3))
    assert all(done(answer) for answer in answers), [answer.text for answer in answers]
    assert len({answer.json()["unique_id"] for answer in answers}) == 1
    assert Sequence.objects.count() == 1
    assert SequenceAlias.objects.count() == 1
    assert ImportJob.objects.count() == 1


def test_another_persons_mapillary_sequence_stays_a_409(
    uploader, live_server, other_token, fake_mapillary
):
    other = Uploader(live_server.url, other_token)
    assert other.put(other.draft(), PAIR).status_code == 202
    response = uploader.put(uploader.draft(), PAIR)
    assert response.status_code == 409
    assert "error" in response.json()
    assert Sequence.objects.count() == 2


# 5. Polling never trips the import limit -------------------------------------------------------


def test_a_hundred_polls_that_change_nothing_in_a_second_get_no_429(
    uploader, fake_mapillary, settings
):
    settings.MTP_API_RATE_IMPORT = 30
    importing = uploader.draft("Importing")
    assert uploader.put(importing, PAIR).status_code == 202
    linked = uploader.draft("Linked")
    link = {"google_street_view": "https://maps.app.goo.gl/l"}
    assert uploader.put(linked, link).status_code == 200
    calls = [(importing, PAIR), (linked, link), (linked, {})] * 34
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda call: uploader.put(*call), calls[:100]))
    assert [answer.status_code for answer in answers if not done(answer)] == []
    assert fake_mapillary.count("/me") == 1
    assert ImportJob.objects.count() == 1


def test_an_idempotency_key_makes_a_retried_create_return_the_first_answer(uploader):
    key = {"Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}
    first = uploader.create("Morning walk", tags=("lake",), headers=key)
    again = uploader.create("Morning walk", tags=("lake",), headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert Sequence.objects.count() == 1
    reused = uploader.create("Evening walk", headers=key)
    assert reused.status_code == 422
    assert "Idempotency-Key" in reused.json()["error"]
    assert Sequence.objects.count() == 1


def test_an_idempotency_key_on_an_import_replays_the_first_answer(uploader, fake_mapillary):
    unique_id = uploader.draft()
    key = {"Idempotency-Key": "import-1"}
    first = uploader.put(unique_id, PAIR, headers=key)
    again = uploader.put(unique_id, PAIR, headers=key)
    assert again.json() == first.json()
    assert again.status_code == first.status_code == 202
    assert uploader.put(unique_id, {"strava": 12}, headers=key).status_code == 422


# 6. What the uploader lets a person type -----------------------------------------------------


def test_what_the_uploaders_form_allows_is_accepted(uploader):
    # 31 tags, a 51-character tag and a 5,001-character description used to fail an upload.
    tags = [f"Tag-{index}" for index in range(30)] + ["x" * 51]
    created = uploader.create("Long", description="d" * 5001, tags=tags)
    assert created.status_code == 201
    assert len(created.json()["sequence"]["tags"]) == 31


def test_the_limits_are_a_hundred_tags_of_a_hundred_characters_and_50000_characters(uploader):
    tags = [f"{index:03d}-" + "t" * (TAG_MAX_LENGTH - 4) for index in range(MAX_TAGS)]
    created = uploader.create("Longest", description="é" * DESCRIPTION_MAX_LENGTH, tags=tags)
    assert created.status_code == 201, created.text
    assert len(Sequence.objects.get().tags.all()) == MAX_TAGS
    too_many = uploader.create("More", tags=[*tags, "one-more"])
    assert too_many.status_code == 422
    assert f"At most {MAX_TAGS} tags" in too_many.json()["error"]
    too_long = uploader.create("Long tag", tags=["x" * (TAG_MAX_LENGTH + 1)])
    assert too_long.status_code == 422
    assert "error" in too_long.json()


def test_the_website_form_takes_the_same_limits(uploader, owner):
    unique_id = uploader.draft()
    sequence = Sequence.objects.get(unique_id=unique_id)
    browser = Client()
    browser.force_login(owner)
    tags = [f"{index:03d}-" + "t" * (TAG_MAX_LENGTH - 4) for index in range(MAX_TAGS)]
    response = browser.post(
        f"/my/sequences/{unique_id}/edit/",
        {
            "name": "Edited",
            "description": "d" * DESCRIPTION_MAX_LENGTH,
            "transport_type": sequence.transport_type_id,
            "tags": ", ".join(tags),
            "google_street_view": "",
            "strava": "",
        },
    )
    assert response.status_code == 302
    assert sequence.tags.count() == MAX_TAGS


# 7. Links point at the server that answered -------------------------------------------------


def test_served_url_brackets_ipv6_addresses():
    assert served_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert served_url("::1", 8123) == "http://[::1]:8123"


def test_mtp_serve_without_site_url_links_to_its_own_host_and_port(tmp_path):
    port = free_port()
    env = fresh_instance_env(tmp_path / "data")
    env.pop("SITE_URL", None)
    setup = (
        "from testing.builders import issue_token; "
        "from mtp.accounts.models import User; "
        "from oauth2_provider.models import get_application_model as m; "
        "u = User.objects.create_user('olivia', 'o@example.org', 'x'); "
        "a = m().objects.create(name='MTP Desktop Uploader', user=u, client_type='public', "
        "authorization_grant_type='implicit', redirect_uris='app.mtp.desktop://app'); "
        "print(issue_token(u, a))"
    )
    subprocess.run(mtp_command("migrate", "-v", "0"), env=env, check=True, timeout=300)
    made = subprocess.run(
        mtp_command("shell", "-c", setup),
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    token = made.stdout.strip().splitlines()[-1]
    command = mtp_command("serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker")
    with running(command, env, tmp_path / "serve.log") as server:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=300, process=server)
        created = Uploader(f"http://127.0.0.1:{port}", token).create("Here")
        assert created.status_code == 201
        site = f"http://127.0.0.1:{port}"
        assert created.headers["location"].startswith(f"{site}/api/v1/sequence/")
        assert created.json()["sequence"]["url"].startswith(f"{site}/sequences/")
        assert (
            created.json()["sequence"]["owner"]["profile_url"] == f"{site}/accounts/users/olivia/"
        )
