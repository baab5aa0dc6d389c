"""GET /api/v1/transport-types, /api/v1/tags and /api/v1/me"""

import json
from pathlib import Path

from mtp.api.schemas import MeOut, TagListOut, TransportTypeOut
from testing.builders import API, make_sequence

DATA = Path(__file__).resolve().parents[2] / "sequences" / "data" / "transport-types.json"


def test_transport_types_are_groups_with_their_kinds(client, app):
    response = client.get(f"{API}/transport-types", {"client_id": app.client_id})
    assert response.status_code == 200
    groups = [TransportTypeOut.model_validate(group) for group in response.json()]
    expected = json.loads(DATA.read_text())
    assert [group.name for group in groups] == [group["name"] for group in expected]
    for group, wanted in zip(groups, expected, strict=True):
        assert sorted(kind.name for kind in group.children) == sorted(wanted["children"])


def test_transport_types_need_a_client_id(client):
    response = client.get(f"{API}/transport-types")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")


def test_tags_count_published_sequences_most_used_first(client, app, owner):
    make_sequence(owner, tags=("lake", "alps"))
    make_sequence(owner, tags=("lake",))
    make_sequence(owner, tags=("secret",), status="draft")
    response = client.get(f"{API}/tags", {"client_id": app.client_id})
    body = TagListOut.model_validate(response.json())
    assert [(tag.name, tag.count) for tag in body.results] == [("lake", 2), ("alps", 1)]


def test_tags_by_prefix_and_in_pages(client, app, owner):
    for index in range(5):
        make_sequence(owner, tags=(f"hike-{index}", "other"))
    seen = []
    url = f"{API}/tags?client_id={app.client_id}&prefix=HIKE&limit=2"
    while url:
        page = client.get(url).json()
        seen += [tag["name"] for tag in page["results"]]
        url = page["next"] and page["next"].removeprefix("http://127.0.0.1:8000")
    assert seen == [f"hike-{index}" for index in range(5)]


def test_me_is_the_tokens_user(client, owner_headers):
    response = client.get(f"{API}/me", **owner_headers)
    assert response.status_code == 200
    me = MeOut.model_validate(response.json())
    assert me.username == "olivia"
    assert me.profile_url.endswith("/olivia/")


def test_me_needs_a_token(client, app):
    assert client.get(f"{API}/me", {"client_id": app.client_id}).status_code == 401
