"""What a browser does, for tests that use Django's test client: read a page's forms and
sections, register an application, and go through the OAuth consent dance."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from mtp.developers.models import Application
from testing.builders import CODE_REDIRECT_URI, pkce_pair

# -- reading pages -----------------------------------------------------------------------------


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def authorized_apps(html: str) -> str:
    """The settings page's Authorized apps section."""
    start = html.index('id="authorized-apps"')
    return html[start : html.index("</section>", start)]


def hidden_fields(html: str) -> dict:
    """The consent form's hidden fields by name."""
    form = html[html.index('id="consent"') :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


class InlineCodeFinder(HTMLParser):
    """Collects in ``problems`` whatever in a page would need 'unsafe-inline' or another site
    under a Content Security Policy."""

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


# -- the developer pages -----------------------------------------------------------------------


def register(client: Client, **fields):
    """Post the developer pages' registration form (a public code-flow app unless told)."""
    data = {
        "name": "Trail Notes",
        "client_type": "public",
        "flows": ["authorization-code"],
        "redirect_uris": "https://app.example.org/cb",
        **fields,
    }
    return client.post("/developers/register/", data)


# -- the OAuth consent dance -------------------------------------------------------------------


def authorize_url(path: str = "/api/v1/authorize", **params) -> str:
    return f"{path}?{urlencode(params)}"


def consent_data(response, *, allow: bool = True) -> dict:
    """The consent form's POST body, as a browser would send it from ``response``."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if value is None or name == "allow":
            continue
        data[name] = str(value) if isinstance(value, bool) else value
    if allow:
        data["allow"] = "Allow"
    return data


def consent(client: Client, url: str, *, allow: bool = True):
    """GET the authorization URL, then press Allow (or Deny); return the final response."""
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    return client.post(url, consent_data(page, allow=allow))


def redirect_params(response) -> tuple[str, dict, dict]:
    """The redirect's base URI, query parameters and fragment parameters."""
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    parts = urlsplit(location)
    base = location.split("?")[0].split("#")[0]
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    fragment = {k: v[0] for k, v in parse_qs(parts.fragment, keep_blank_values=True).items()}
    return base, query, fragment


def get_code(client: Client, application: Application, **extra) -> tuple[str, str]:
    """Run the code flow up to the code; return (code, verifier)."""
    verifier, challenge = pkce_pair()
    params = {
        "client_id": application.client_id,
        "response_type": "code",
        "redirect_uri": CODE_REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    _, query, _ = redirect_params(consent(client, authorize_url(**params)))
    return query["code"], verifier


def exchange(client: Client, application: Application, code: str, verifier: str, **extra):
    """Trade a code (and its verifier) for tokens at the token endpoint."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": application.client_id,
        "redirect_uri": CODE_REDIRECT_URI,
        **extra,
    }
    return client.post("/api/v1/token", {k: v for k, v in data.items() if v is not None})
