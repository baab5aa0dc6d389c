"""Every page works under a Content Security Policy without 'unsafe-inline'.

No inline script (data blocks of type application/json are never run), no style attribute
or element, no event handler attribute, nothing loaded from another site.
"""

from html.parser import HTMLParser

import pytest

from mtp.developers.models import Application
from mtp.web.tests.conftest import draft, failed_import, publish


class InlineCodeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if not values.get("src") and values.get("type") != "application/json":
                self.problems.append("an inline <script>")
        if tag == "style":
            self.problems.append("a <style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"a style attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"an {name} attribute on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: URL on <{tag}>")
        loaded = values.get("src") if tag in ("script", "img", "iframe") else None
        if tag == "link" and values.get("rel") in ("stylesheet", "icon", "preload"):
            loaded = values.get("href")
        if loaded and not loaded.startswith("/"):
            self.problems.append(f"<{tag}> loads {loaded} from elsewhere")


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
