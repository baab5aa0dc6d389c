"""The OpenAPI document, the docs page, and docs/API.md."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from mtp.api.tests.conftest import API

API_MD = Path(__file__).resolve().parents[3] / "docs" / "API.md"
ENDPOINTS = {
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/sequence/create"),
    ("PUT", "/api/v1/sequence/import/{unique_id}"),
    ("GET", "/api/v1/sequence/{unique_id}"),
    ("PATCH", "/api/v1/sequence/{unique_id}"),
    ("DELETE", "/api/v1/sequence/{unique_id}"),
    ("GET", "/api/v1/sequence/{unique_id}/images"),
    ("GET", "/api/v1/sequences"),
    ("GET", "/api/v1/transport-types"),
    ("GET", "/api/v1/tags"),
    ("GET", "/api/v1/leaderboard"),
    ("POST", "/api/v1/challenges"),
    ("GET", "/api/v1/challenges"),
    ("GET", "/api/v1/challenges/{unique_id}"),
    ("PATCH", "/api/v1/challenges/{unique_id}"),
    ("DELETE", "/api/v1/challenges/{unique_id}"),
    ("GET", "/api/v1/challenges/{unique_id}/leaderboard"),
}


@pytest.fixture
def openapi(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_the_document_is_openapi_3_with_every_endpoint(openapi):
    assert openapi["openapi"].startswith("3.")
    assert operations(openapi) == ENDPOINTS


def test_every_operation_documents_its_errors_in_the_one_shape(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            errors = [code for code in operation["responses"] if str(code).startswith("4")]
            assert errors, f"{method} {path} documents no errors"


def test_bodies_are_documented_as_json_and_forms(openapi):
    body = openapi["paths"]["/api/v1/sequence/create"]["post"]["requestBody"]["content"]
    assert set(body) == {
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }
    schema = body["application/json"]["schema"]
    assert set(schema["required"]) == {"name", "transport_type"}


def test_the_other_formats_are_documented(openapi):
    content = openapi["paths"]["/api/v1/sequence/{unique_id}"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "application/geo+json", "application/gpx+xml"}


def test_the_docs_page_works_without_the_internet(client, settings):
    # Tests do not collect static files; serve them from the apps as DEBUG does.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references
    for reference in references:
        assert not reference.startswith(("http:", "https:", "//")), reference
        assert finders.find(reference.removeprefix(settings.STATIC_URL)), reference


def test_api_md_has_a_curl_example_for_every_endpoint():
    text = API_MD.read_text()
    for method, path in ENDPOINTS:
        heading = f"### `{method} {path.removeprefix('/api/v1')}`"
        assert heading in text, heading
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        assert "curl " in section, f"no curl example under {heading}"
        if method != "GET":
            assert f"-X {method}" in section or (method == "POST" and "--form" in section)


def test_api_md_shows_both_oauth_flows():
    text = API_MD.read_text()
    assert "response_type=token" in text
    assert "response_type=code" in text and "code_challenge" in text


def test_fields_are_named_as_the_replies_name_them(openapi):
    # Found by the fuzz test: the document said import_ where the replies say import.
    sequence = openapi["components"]["schemas"]["SequenceOut"]
    assert "import" in sequence["properties"]
    assert "import" in sequence["required"]
    assert "import_" not in sequence["properties"]
