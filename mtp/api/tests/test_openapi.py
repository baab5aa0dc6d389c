"""The OpenAPI document, the docs page, and docs/API.md."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

from mtp.challenges.areas import MEMBERS
from mtp.mapillary.formats import is_key
from mtp.sequences.links import DEFAULT_SIZE, SIZES
from testing.builders import API

API_MD = Path(__file__).resolve().parents[3] / "docs" / "API.md"
TRANSPORT_TYPES = (
    Path(__file__).resolve().parents[2] / "sequences" / "data" / "transport-types.json"
)
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
    ("GET", "/api/v1/images/{key}/thumbnail"),
    ("GET", "/api/v1/images/nearby"),
    ("GET", "/api/v1/leaderboard"),
    ("GET", "/api/v1/leaderboard/photos"),
    ("POST", "/api/v1/challenges"),
    ("GET", "/api/v1/challenges"),
    ("GET", "/api/v1/challenges/{unique_id}"),
    ("PATCH", "/api/v1/challenges/{unique_id}"),
    ("DELETE", "/api/v1/challenges/{unique_id}"),
    ("GET", "/api/v1/challenges/{unique_id}/leaderboard"),
    # Tours and likes
    ("POST", "/api/v1/tours"),
    ("GET", "/api/v1/tours"),
    ("GET", "/api/v1/tours/{unique_id}"),
    ("PATCH", "/api/v1/tours/{unique_id}"),
    ("DELETE", "/api/v1/tours/{unique_id}"),
    ("PUT", "/api/v1/tours/{unique_id}/sequences"),
    ("PUT", "/api/v1/tours/{unique_id}/like"),
    ("DELETE", "/api/v1/tours/{unique_id}/like"),
    ("PUT", "/api/v1/sequence/{unique_id}/like"),
    ("DELETE", "/api/v1/sequence/{unique_id}/like"),
    ("PUT", "/api/v1/images/{key}/like"),
    ("DELETE", "/api/v1/images/{key}/like"),
    # Guidebooks
    ("GET", "/api/v1/guidebook-categories"),
    ("POST", "/api/v1/guidebooks"),
    ("GET", "/api/v1/guidebooks"),
    ("GET", "/api/v1/guidebooks/{unique_id}"),
    ("PATCH", "/api/v1/guidebooks/{unique_id}"),
    ("DELETE", "/api/v1/guidebooks/{unique_id}"),
    ("POST", "/api/v1/guidebooks/{unique_id}/scenes"),
    ("PUT", "/api/v1/guidebooks/{unique_id}/scenes"),
    ("PATCH", "/api/v1/guidebooks/{unique_id}/scenes/{scene_id}"),
    ("DELETE", "/api/v1/guidebooks/{unique_id}/scenes/{scene_id}"),
    ("POST", "/api/v1/guidebooks/{unique_id}/scenes/{scene_id}/pois"),
    ("PATCH", "/api/v1/guidebooks/{unique_id}/scenes/{scene_id}/pois/{poi_id}"),
    ("DELETE", "/api/v1/guidebooks/{unique_id}/scenes/{scene_id}/pois/{poi_id}"),
}


@pytest.fixture
def openapi(client, db) -> dict:
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
    reference = body["application/json"]["schema"]["$ref"]
    schema = openapi["components"]["schemas"][reference.rsplit("/", 1)[-1]]
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


def test_the_document_is_valid_openapi(openapi):
    # openapi-spec-validator: the specification's own JSON Schema, and its rules beyond it.
    validate(openapi)


def test_transport_types_are_the_tables_names(openapi):
    schemas = openapi["components"]["schemas"]
    expected = json.loads(TRANSPORT_TYPES.read_text())
    children = sorted(child for group in expected for child in group["children"])
    for name in ("SequenceCreate", "SequenceCreateForm"):
        assert schemas[name]["properties"]["transport_type"]["enum"] == children
    search = openapi["paths"]["/api/v1/sequences"]["get"]["parameters"]
    kind = next(parameter for parameter in search if parameter["name"] == "transport_type")
    groups = [group["name"] for group in expected]
    assert kind["schema"]["anyOf"][0]["enum"] == sorted([*groups, *children])


def links_and_targets(document: dict, create: str, prefixes: tuple[str, ...]):
    """What create's 201 links to, and the operations under ``prefixes`` taking an id."""
    links = document["paths"][create]["post"]["responses"]["201"]["links"]
    by_id = {
        operation["operationId"]: (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    taking_an_id = {
        (method, path)
        for path, item in document["paths"].items()
        if "{unique_id}" in path and path.startswith(prefixes)
        for method in item
    }
    for link in links.values():
        assert link["parameters"] == {"unique_id": "$response.body#/unique_id"}
    return {by_id[link["operationId"]] for link in links.values()}, taking_an_id


def test_create_links_to_every_operation_that_takes_a_sequence_id(openapi):
    linked, taking_an_id = links_and_targets(
        openapi, "/api/v1/sequence/create", ("/api/v1/sequence/",)
    )
    # Not its likes: a sequence just created is a draft, which cannot be liked yet.
    taking_an_id -= {
        ("put", "/api/v1/sequence/{unique_id}/like"),
        ("delete", "/api/v1/sequence/{unique_id}/like"),
    }
    assert len(taking_an_id) == 5
    assert linked == taking_an_id


def test_create_challenge_links_to_every_operation_that_takes_a_challenge_id(openapi):
    linked, taking_an_id = links_and_targets(
        openapi, "/api/v1/challenges", ("/api/v1/challenges/",)
    )
    assert taking_an_id == {
        ("get", "/api/v1/challenges/{unique_id}"),
        ("patch", "/api/v1/challenges/{unique_id}"),
        ("delete", "/api/v1/challenges/{unique_id}"),
        ("get", "/api/v1/challenges/{unique_id}/leaderboard"),
    }
    assert linked == taking_an_id
    # Every operation taking an id is one create's link target.
    every = {
        (method, path)
        for path, item in openapi["paths"].items()
        if "{unique_id}" in path
        for method in item
    }
    sequences, _ = links_and_targets(openapi, "/api/v1/sequence/create", ("/api/v1/sequence/",))
    tours, _ = links_and_targets(openapi, "/api/v1/tours", ("/api/v1/tours/",))
    likes = {
        ("put", "/api/v1/sequence/{unique_id}/like"),
        ("delete", "/api/v1/sequence/{unique_id}/like"),
    }
    guidebooks = guidebook_link_targets(openapi)
    assert sequences | linked | tours | likes | guidebooks == every


def test_create_tour_links_to_every_operation_that_takes_a_tour_id(openapi):
    linked, taking_an_id = links_and_targets(openapi, "/api/v1/tours", ("/api/v1/tours/",))
    assert len(taking_an_id) == 6
    assert linked == taking_an_id


def test_a_form_sends_a_tours_routes_in_one_field(openapi):
    schemas = openapi["components"]["schemas"]
    for name in ("TourCreateForm", "TourSequencesForm"):
        field = schemas[name]["properties"]["sequences"]
        assert field["type"] == "string"
        pattern = re.compile(field["pattern"])
        one = "3f1c9a52-7d4b-4e0a-9b8e-2a6c1d5e7f90"
        assert pattern.match(",".join([one] * 500)) and not pattern.match(",".join([one] * 501))
    assert schemas["TourCreate"]["properties"]["sequences"]["maxItems"] == 500


def guidebook_link_targets(document: dict) -> set[tuple[str, str]]:
    """What the creates of a guidebook, a scene and a point link to."""
    by_id = {
        operation["operationId"]: (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    targets = set()
    for create in (
        "/api/v1/guidebooks",
        "/api/v1/guidebooks/{unique_id}/scenes",
        "/api/v1/guidebooks/{unique_id}/scenes/{scene_id}/pois",
    ):
        links = document["paths"][create]["post"]["responses"]["201"]["links"]
        targets |= {by_id[link["operationId"]] for link in links.values()}
    return targets


def test_guidebook_creates_link_to_every_operation_on_what_they_made(openapi):
    taking_an_id = {
        (method, path)
        for path, item in openapi["paths"].items()
        if path.startswith("/api/v1/guidebooks/{unique_id}")
        for method in item
    }
    assert guidebook_link_targets(openapi) == taking_an_id
    poi = openapi["paths"]["/api/v1/guidebooks/{unique_id}/scenes/{scene_id}/pois"]["post"]
    link = poi["responses"]["201"]["links"]["UpdatePoi"]
    assert link["parameters"] == {
        "unique_id": "$request.path.unique_id",
        "scene_id": "$request.path.scene_id",
        "poi_id": "$response.body#/unique_id",
    }


def test_a_point_is_placed_one_way_on_the_photo_as_the_server_says(openapi):
    schemas = openapi["components"]["schemas"]
    create = {**schemas["PoiCreate"], "components": openapi["components"]}
    for placed in ({"title": "A", "x": 0, "y": 1}, {"title": "A", "yaw": -180, "pitch": 90}):
        jsonschema.validate(placed, create)
    for wrong in (
        {"title": "A"},
        {"title": "A", "x": 0.5},
        {"title": "A", "x": 1.5, "y": 0.5},
        {"title": "A", "x": 0.5, "y": 0.5, "yaw": 0, "pitch": 0},
        {"title": "A", "yaw": 0, "pitch": 91},
        {"title": "A", "x": None, "y": None, "yaw": 0, "pitch": 0},
        {"title": "A", "x": 0.5, "y": 0.5, "category": "cooking"},
        {"title": "A", "x": 0.5, "y": 0.5, "url": "javascript:alert(1)"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, create)
    patch = {**schemas["PoiPatch"], "components": openapi["components"]}
    jsonschema.validate({"title": "B"}, patch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"yaw": 10}, patch)


def test_every_body_has_an_example_that_fits_its_schema(openapi):
    checked = 0
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            bodies = [
                *operation.get("requestBody", {}).get("content", {}).values(),
                *(
                    media
                    for response in operation["responses"].values()
                    for media_type, media in response.get("content", {}).items()
                    if media_type == "application/json"
                ),
            ]
            for media in bodies:
                assert "example" in media, f"{method} {path}"
                schema = {**media["schema"], "components": openapi["components"]}
                jsonschema.validate(media["example"], schema)
                checked += 1
    assert checked > 50


def test_the_docs_page_shows_the_examples(client, openapi, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Swagger UI renders the document it is given: the page loads this one, examples and all.
    page = client.get(f"{API}/docs").content.decode()
    assert "openapi.json" in page
    create = openapi["paths"]["/api/v1/sequence/create"]["post"]
    assert create["requestBody"]["content"]["application/json"]["example"]["name"]


def test_text_fields_refuse_nul_characters_as_the_server_does(openapi):
    schemas = openapi["components"]["schemas"]
    assert re.search(schemas["SequenceCreate"]["properties"]["source"]["pattern"], "a\x00") is None
    assert re.search(schemas["SequenceCreate"]["properties"]["source"]["pattern"], "mtpdu")
    name = schemas["SequenceCreate"]["properties"]["name"]["pattern"]
    assert re.search(name, "   ") is None and re.search(name, " Walk ")


def test_the_photo_endpoint_is_documented_as_the_server_answers(openapi):
    operation = openapi["paths"]["/api/v1/images/{key}/thumbnail"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    key = parameters["key"]
    assert key["in"] == "path" and key["required"]
    pattern = re.compile(key["schema"]["pattern"])
    assert pattern.search(key["example"]) and is_key(key["example"])
    for made_up in ("", "a/b", "a b", "k" * 101, "x\x00"):
        assert not pattern.search(made_up) and not is_key(made_up)
    assert parameters["size"]["schema"]["enum"] == list(SIZES)
    assert parameters["size"]["schema"]["default"] == DEFAULT_SIZE
    # Published photos need nothing; a draft's owner may send the token.
    assert operation["security"] == [{}, {"TokenAuth": []}]
    responses = operation["responses"]
    assert set(responses) == {"200", "302", "401", "404", "422", "429", "503"}
    assert responses["302"]["headers"]["Location"]["required"]
    assert "content" not in responses["302"]
    assert set(responses["200"]["content"]) == {"image/jpeg"}
    assert responses["503"]["headers"]["Retry-After"]["required"]
    for status in ("401", "404", "422", "429", "503"):
        content = responses[status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_the_documented_422_is_the_servers(client, openapi):
    operation = openapi["paths"]["/api/v1/images/{key}/thumbnail"]["get"]
    documented = operation["responses"]["422"]["content"]["application/json"]["example"]
    response = client.get(f"{API}/images/148137757289079/thumbnail?size=512")
    assert response.status_code == 422
    assert response.json() == documented


def test_a_page_of_images_links_to_its_first_photo(openapi):
    images = openapi["paths"]["/api/v1/sequence/{unique_id}/images"]["get"]
    link = images["responses"]["200"]["links"]["GetPhoto"]
    assert (
        link["operationId"]
        == openapi["paths"]["/api/v1/images/{key}/thumbnail"]["get"]["operationId"]
    )
    assert link["parameters"] == {"key": "$response.body#/results/0/key"}


def test_challenge_bodies_refuse_what_the_server_refuses(openapi):
    schemas = openapi["components"]["schemas"]
    expected = json.loads(TRANSPORT_TYPES.read_text())
    every = sorted(
        [group["name"] for group in expected]
        + [child for group in expected for child in group["children"]]
    )
    create = schemas["ChallengeCreate"]["properties"]
    assert create["transport_types"]["items"]["enum"] == every
    assert re.search(create["camera_makes"]["items"]["pattern"], "Go\x00Pro") is None
    assert re.search(create["name"]["pattern"], "  ") is None
    area = {**create["area"], "components": openapi["components"]}
    assert set(area["properties"]) == set(MEMBERS) and area["additionalProperties"] is False
    square = [[6.1, 46.1], [6.2, 46.1], [6.2, 46.2], [6.1, 46.1]]
    jsonschema.validate({"type": "Polygon", "coordinates": [square]}, area)
    jsonschema.validate({"type": "MultiPolygon", "coordinates": [[square]]}, area)
    for wrong in (
        {"type": "Point", "coordinates": [6.1, 46.1]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [square[:3]]},
        {"type": "Polygon", "coordinates": [[["6.1", 46.1], *square[1:]]]},
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": [square], "bbox": [6.1, 46.1, 6.2, 46.2]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, area)
    # A change leaves a field out rather than setting it to null (the server answers 422).
    patch = schemas["ChallengePatch"]["properties"]
    for name in ("name", "area", "start", "end", "transport_types", "camera_makes"):
        assert "anyOf" not in patch[name] or {"type": "null"} not in patch[name]["anyOf"], name
    assert {"type": "null"} in patch["description"]["anyOf"]


def test_leaderboard_parameters_are_the_servers_choices(openapi):
    for path in ("/api/v1/leaderboard", "/api/v1/challenges/{unique_id}/leaderboard"):
        parameters = {
            parameter["name"]: parameter["schema"]
            for parameter in openapi["paths"][path]["get"]["parameters"]
        }
        metrics = ["images", "distance", "sequences"]
        if path == "/api/v1/leaderboard":
            # Likes are counted everywhere or in a box, not in a challenge's area.
            metrics.append("photo_likes")
        assert parameters["metric"]["enum"] == metrics
        assert parameters["limit"]["maximum"] == 100
    for path in ("/api/v1/leaderboard", "/api/v1/leaderboard/photos"):
        parameters = {
            parameter["name"]: parameter["schema"]
            for parameter in openapi["paths"][path]["get"]["parameters"]
        }
        assert parameters["period"]["enum"] == ["all", "year", "month", "week"]
        assert "Water" in parameters["transport_type"]["anyOf"][0]["enum"]


def test_a_photo_s_like_takes_a_photo_key_with_the_example_photo(openapi):
    for method in ("put", "delete"):
        operation = openapi["paths"]["/api/v1/images/{key}/like"][method]
        (key,) = [p for p in operation["parameters"] if p["name"] == "key"]
        assert key["in"] == "path" and key["schema"]["pattern"].startswith("^[A-Za-z0-9_-]")
        assert key["example"] == "148137757289079"
        example = operation["responses"]["200"]["content"]["application/json"]["example"]
        assert example["key"] == key["example"]
