"""Every page works under a Content Security Policy without 'unsafe-inline'.

No inline script (data blocks of type application/json are never run), no style attribute
or element, no event handler attribute, nothing loaded from another site.
"""

import pytest

from mtp.developers.models import Application
from testing.builders import draft, failed_import, publish
from testing.pages import InlineCodeFinder


@pytest.mark.django_db
def test_no_page_carries_inline_code_or_loads_from_elsewhere(owner_client, owner, client):
    published = publish(owner, "River walk", tags=("river",))
    waiting = draft(owner)
    failed_import(owner)
    app = Application.objects.create(
        name="Uploader",
        user=owner,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_IMPLICIT,
        redirect_uris="app.mtp.desktop://app",
    )
    urls = [
        "/",
        "/?q=river&tag=river",
        "/explore/results?bbox=-1,50,1,52",
        published.get_absolute_url(),
        waiting.get_absolute_url(),
        "/my/",
        f"/my/sequences/{published.unique_id}/edit/",
        f"/my/sequences/{published.unique_id}/delete/",
        f"/my/sequences/{waiting.unique_id}/import/",
        f"/accounts/users/{owner.username}/",
        "/accounts/settings/",
        "/developers/",
        "/developers/register/",
        f"/developers/{app.pk}/",
        f"/api/v1/authorize?client_id={app.client_id}&response_type=token",
        "/device",
        "/sequences/00000000-0000-0000-0000-000000000000/",
    ]
    pages = [(url, owner_client.get(url)) for url in urls]
    pages += [(url, client.get(url)) for url in ("/accounts/login/", "/accounts/signup/", "/")]
    for url, response in pages:
        assert response.status_code in (200, 404), url
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], url
    assert any(url == "/" for url, _ in pages)
