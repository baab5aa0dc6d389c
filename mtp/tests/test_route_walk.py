"""Every route of the site and the API, called by someone else: nothing of the owner's leaks.

Olivia (the owner) has a draft, an import running with her Mapillary token, an application of
her own with a secret, a device waiting for her approval and an access token. Oscar (another
user, signed in and with a token of his own) and an anonymous visitor then call every URL
pattern of the project with Olivia's ids filled in, with every method. No reply may carry
anything private of Olivia's, no reply may be a 5xx, and afterwards all her things are as
they were.

A route added to the project must be added to ROUTES below (with how to fill in any new
parameter in PARAMETERS), so that nobody forgets to think about who may see it. The admin is
walked as a whole: every model registered there is covered without a change here.
"""

import json
from urllib.parse import urlencode

from django.test import Client
from oauth2_provider.models import get_access_token_model

from mtp.developers.models import Application
from mtp.developers.oauth2 import DeviceGrant
from mtp.developers.webhook_secrets import webhook_secret
from mtp.guidebooks.models import Guidebook, Poi
from mtp.sequences.models import Sequence
from mtp.tours.models import Tour
from mtp.uploads.models import UploadSet
from mtp.webhooks.models import WebhookDelivery
from testing.builders import bearer
from testing.routes import FORM, METHODS, URLENCODED, parameter_values, query, routes, urls

AccessToken = get_access_token_model()

# Every route outside the admin. Pages, the OAuth endpoints and the API alike: each is walked.
ROUTES = {
    "healthz",
    ".well-known/oauth-authorization-server",
    "api/v1/authorize",
    "accounts/authorize",
    "api/v1/token",
    "api/v1/revoke",
    "api/v1/introspect",
    "api/v1/device_authorization",
    "device",
    "device/<str:client_id>/<str:user_code>",
    "developers/",
    "developers/register/",
    "developers/<int:pk>/",
    "developers/<int:pk>/edit/",
    "developers/<int:pk>/delete/",
    "developers/<int:pk>/secret/",
    "developers/<int:pk>/webhook/secret/",
    "developers/<int:pk>/webhook/test/",
    "developers/<int:pk>/webhook/deliveries/<int:delivery_pk>/again/",
    "developers/authorized/<int:pk>/revoke/",
    r"api/v1/tiles/^(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/]+)\.mvt$",
    "api/v1/tiles/^(?P<rest>.*)$",
    "api/v1/images/<str:key>/thumbnail",
    "^api/v1/images/(?!nearby/?$)(?P<rest>(?![^/]+/like/?$).*)$",
    "api/v1/",
    "api/v1/openapi.json",
    "api/v1/openapi.json/",
    "api/v1/docs",
    "api/v1/docs/",
    "api/v1/me",
    "api/v1/me/",
    "api/v1/sequence/create",
    "api/v1/sequence/create/",
    "api/v1/sequence/import/<uuidstr:unique_id>",
    "api/v1/sequence/import/<uuidstr:unique_id>/",
    "api/v1/sequence/<uuidstr:unique_id>",
    "api/v1/sequence/<uuidstr:unique_id>/",
    "api/v1/sequence/<uuidstr:unique_id>/images",
    "api/v1/sequence/<uuidstr:unique_id>/images/",
    "api/v1/sequences",
    "api/v1/sequences/",
    "api/v1/images/nearby",
    "api/v1/images/nearby/",
    "api/v1/transport-types",
    "api/v1/transport-types/",
    "api/v1/tags",
    "api/v1/tags/",
    "api/v1/leaderboard",
    "api/v1/leaderboard/",
    "api/v1/leaderboard/photos",
    "api/v1/leaderboard/photos/",
    "api/v1/challenges",
    "api/v1/challenges/",
    "api/v1/challenges/<uuidstr:unique_id>",
    "api/v1/challenges/<uuidstr:unique_id>/",
    "api/v1/challenges/<uuidstr:unique_id>/leaderboard",
    "api/v1/challenges/<uuidstr:unique_id>/leaderboard/",
    "accounts/login/",
    "accounts/logout/",
    "accounts/signup/",
    "accounts/password/reset/",
    "accounts/password/reset/sent/",
    "accounts/password/reset/<uidb64>/<token>/",
    "accounts/password/reset/complete/",
    "accounts/settings/",
    "accounts/delete/",
    "accounts/users/<str:username>/",
    "accounts/^check-mtpu-mapillary-oauth/?$",
    "accounts/^check-mtpu-google-oauth/?$",
    "^exchange_token/?$",
    "",
    "explore/results",
    "sequences/<uuid:unique_id>/",
    "leaderboard/",
    # Photo likes
    "leaderboard/photos/",
    "photos/",
    "photos/<str:key>/like/",
    "photos/<str:key>/nearby.json",
    "challenges/",
    "challenges/new/",
    "challenges/<uuid:unique_id>/",
    "my/",
    "my/progress.json",
    "my/sequences/<uuid:unique_id>/edit/",
    "my/sequences/<uuid:unique_id>/delete/",
    "my/sequences/<uuid:unique_id>/import/",
    "my/sequences/import/",
    # Tours and likes
    "api/v1/tours",
    "api/v1/tours/",
    "api/v1/tours/<uuidstr:unique_id>",
    "api/v1/tours/<uuidstr:unique_id>/",
    "api/v1/tours/<uuidstr:unique_id>/sequences",
    "api/v1/tours/<uuidstr:unique_id>/sequences/",
    "api/v1/tours/<uuidstr:unique_id>/like",
    "api/v1/tours/<uuidstr:unique_id>/like/",
    "api/v1/sequence/<uuidstr:unique_id>/like",
    "api/v1/sequence/<uuidstr:unique_id>/like/",
    # Photo likes
    "api/v1/images/<str:key>/like",
    "api/v1/images/<str:key>/like/",
    "tours/",
    "tours/new/",
    "tours/add/",
    "tours/<uuid:unique_id>/",
    "tours/<uuid:unique_id>/edit/",
    "tours/<uuid:unique_id>/delete/",
    "tours/<uuid:unique_id>/like/",
    "sequences/<uuid:unique_id>/like/",
    # Guidebooks
    "api/v1/guidebook-categories",
    "api/v1/guidebook-categories/",
    "api/v1/guidebooks",
    "api/v1/guidebooks/",
    "api/v1/guidebooks/<uuidstr:unique_id>",
    "api/v1/guidebooks/<uuidstr:unique_id>/",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/<uuidstr:scene_id>",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/<uuidstr:scene_id>/",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/<uuidstr:scene_id>/pois",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/<uuidstr:scene_id>/pois/",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/<uuidstr:scene_id>/pois/<uuidstr:poi_id>",
    "api/v1/guidebooks/<uuidstr:unique_id>/scenes/<uuidstr:scene_id>/pois/<uuidstr:poi_id>/",
    "guidebooks/",
    "guidebooks/new/",
    "guidebooks/<uuid:unique_id>/",
    "guidebooks/<uuid:unique_id>/edit/",
    "guidebooks/<uuid:unique_id>/scenes/<uuid:scene_id>/edit/",
    # The STAC API (published sequences and their photos only)
    "api",
    "api/",
    "api/conformance",
    "api/collections",
    "api/collections/<str:collection_id>",
    "api/collections/<str:collection_id>/items",
    "api/collections/<str:collection_id>/items/<str:item_id>",
    "api/search",
    "api/users/<str:user_id>/collection",
    # Photos uploaded here (an upload set is its owner's alone)
    "api/configuration",
    "api/users/me",
    "api/upload_sets",
    "api/upload_sets/<str:unique_id>",
    "api/upload_sets/<str:unique_id>/files",
    "api/upload_sets/<str:unique_id>/complete",
    "api/auth/tokens/generate",
    "api/auth/tokens/<str:unique_id>/claim",
    # Transfers from other instances (a transfer is its owner's alone)
    "api/transfers",
    "api/transfers/<str:unique_id>",
    "api/users/<str:user_id>/transfers",
    # The website's upload page and its calls (the session's own upload sets only)
    "upload/",
    "upload/sets/",
    "upload/sets/<uuid:unique_id>/",
    "upload/sets/<uuid:unique_id>/files/",
    "upload/sets/<uuid:unique_id>/complete/",
}


def test_every_route_is_known_to_this_walk(db):
    found = {route.pattern for route in routes() if not route.pattern.startswith("admin/")}
    assert found - ROUTES == set(), "new routes: add them to ROUTES (and think who may see them)"
    assert ROUTES - found == set(), "routes that are gone: remove them from ROUTES"


def test_every_api_operation_is_among_the_routes(client, db):
    document = client.get("/api/v1/openapi.json").json()
    patterns = {route.pattern for route in routes()}
    for path in document["paths"]:
        route = path.removeprefix("/")
        for name in ("unique_id", "scene_id", "poi_id"):
            route = route.replace(f"{{{name}}}", f"<uuidstr:{name}>")
        assert route.replace("{key}", "<str:key>") in patterns


def assert_nothing_of_olivias(response, secrets_: list[str], where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    text = b"".join(response) if response.streaming else response.content
    headers = json.dumps(dict(response.items()))
    for secret in secrets_:
        assert secret.encode() not in text, f"{where} shows {secret!r}"
        assert secret not in headers, f"{where} shows {secret!r} in a header"


def walk(clients: dict[str, Client], olivia: dict, headers: dict[str, dict]) -> int:
    values = parameter_values(olivia)
    calls = 0
    for route in routes():
        for url in urls(route, values):
            for who, client in clients.items():
                for method in METHODS:
                    if method == "get":
                        response = client.get(url, **headers[who])
                        assert_nothing_of_olivias(
                            response, olivia["secrets"], f"GET {url} as {who}"
                        )
                        # Again, asking for Olivia's things in the query string.
                        response = client.get(url, query(olivia), **headers[who])
                    elif method == "delete":
                        response = client.delete(url, **headers[who])
                    elif method == "post":
                        response = client.post(
                            url, urlencode(FORM), content_type=URLENCODED, **headers[who]
                        )
                    else:
                        response = getattr(client, method)(
                            url, json.dumps(FORM), content_type="application/json", **headers[who]
                        )
                    calls += 1
                    assert_nothing_of_olivias(
                        response, olivia["secrets"], f"{method.upper()} {url} as {who}"
                    )
    return calls


def assert_olivias_things_are_as_they_were(olivia: dict) -> None:
    draft = Sequence.objects.get(pk=olivia["draft"].pk)
    assert (draft.name, draft.status) == ("Olivia's secret draft", "draft")
    assert draft.strava == ""
    assert list(draft.tags.all()) == []
    assert Sequence.objects.get(pk=olivia["importing"].pk).name == "Olivia's hidden route"
    assert Sequence.objects.get(pk=olivia["published"].pk).name == "Olivia's public walk"
    own_app = Application.objects.get(pk=olivia["app"].pk)
    assert (own_app.name, own_app.redirect_uris) == (
        "Olivia's private app",
        "https://olivia.example.org/cb",
    )
    assert own_app.client_secret == olivia["app"].client_secret
    assert own_app.webhook_url == "https://olivia.example.org/hooks"
    assert webhook_secret(own_app) == olivia["webhook_secret"]
    assert list(WebhookDelivery.objects.filter(application=own_app).values_list("status")) == [
        (WebhookDelivery.Status.FAILED,)
    ]
    assert (
        DeviceGrant.objects.get(pk=olivia["device"].pk).status == DeviceGrant.AUTHORIZATION_PENDING
    )
    tour = Tour.objects.get(pk=olivia["tour"].pk)
    assert (tour.name, tour.status, tour.sequence_count) == ("Olivia's secret tour", "draft", 1)
    guidebook = Guidebook.objects.get(pk=olivia["guidebook"].pk)
    assert (guidebook.name, guidebook.published_at) == ("Olivia's secret guidebook", None)
    assert list(guidebook.scenes.values_list("title", flat=True)) == ["Olivia's secret scene"]
    poi = Poi.objects.get(pk=olivia["poi"].pk)
    assert (poi.title, poi.x, poi.y) == ("Olivia's secret point", 0.5, 0.5)
    upload_set = UploadSet.objects.get(pk=olivia["upload_set"].pk)
    assert (upload_set.title, upload_set.status) == ("Olivia's secret upload", "open")
    assert not upload_set.files.exists()
    owner = draft.owner
    owner.refresh_from_db()
    assert owner.email == "olivia@example.org"
    assert owner.is_active
    response = Client().get("/api/v1/me", **bearer(olivia["token"]))
    assert response.status_code == 200


def test_nobody_else_sees_or_changes_anything_of_the_owner(olivia, other_user, other_token):
    oscar = Client()
    oscar.force_login(other_user)
    clients = {"anonymous": Client(), "oscar": oscar, "oscar's app": Client()}
    headers = {"anonymous": {}, "oscar": {}, "oscar's app": bearer(other_token)}
    calls = walk(clients, olivia, headers)
    assert calls > 1000
    assert_olivias_things_are_as_they_were(olivia)
