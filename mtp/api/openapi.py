"""The OpenAPI document, completed with what django-ninja cannot derive from the schemas.

- Security: public reads take a token *or* a ``client_id`` (an API key in the query string).
- Transport types: an enum of the names in the TransportType table.
- Text: what the server refuses (NUL characters, control characters in what a body writes,
  blank names, malformed Mapillary keys and tokens) is refused by the document too, so a
  client generated from it never sends it.
- A challenge's area: a GeoJSON Polygon or MultiPolygon, as far as a schema can say it.
- Links from each create's 201 to every operation that takes the created object's id (for
  clients and for stateful testing), and an example for every request and response body.
- The photo endpoint (``mtp.api.images``), a plain Django view, described by hand: its key,
  its sizes, every answer it gives, and a link to it from a page of images.
"""

import copy
from typing import Any

from ninja import NinjaAPI

from mtp.api.challenges import NOT_NULL
from mtp.api.guidebooks import NOT_NULL as GUIDEBOOK_NOT_NULL
from mtp.api.images import NOT_FOUND, invalid_size
from mtp.challenges.areas import WGS84_CRS
from mtp.guidebooks.models import Category
from mtp.mapillary.formats import KEY_PATTERN, TOKEN_PATTERN
from mtp.sequences.external_links import GOOGLE_STREET_VIEW_MAX_LENGTH, STRAVA_ACTIVITY_PATTERN
from mtp.sequences.links import DEFAULT_SIZE, SIZES
from mtp.sequences.models import MAX_RADIUS_M, MAX_TAGS, TAG_MAX_LENGTH, transport_types_by_name
from mtp.tours.models import MAX_SEQUENCES as MAX_TOUR_SEQUENCES

TOKEN_SCHEME = "TokenAuth"  # noqa: S105 - the name of a security scheme
CLIENT_ID_SCHEME = "ClientId"
# The auth class whose operations take a token or a client_id (mtp/api/auth.py).
TOKEN_OR_CLIENT = "TokenOrClientAuth"  # noqa: S105 - the name of an auth class

# Any text without a NUL character (PostgreSQL cannot store one; the server answers 400).
NO_NUL = "^[^\\x00]*$"
# Text a body writes holds no control characters (mtp.lib.text), but a text of several lines
# (a description) holds tabs and line ends.
_NOT_CONTROL = "[^\\x00-\\x1f\\x7f-\\x9f]"
LINE = f"^{_NOT_CONTROL}*$"
LINES = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
# A name: one line with at least one character that is not white space (names are trimmed).
NAME = f"^{_NOT_CONTROL}*[^\\x00-\\x1f\\x7f-\\x9f\\s]{_NOT_CONTROL}*$"
# A Google Street View link: a Google Maps link
# (mtp.sequences.external_links.google_street_view_problem: maps.app.goo.gl, goo.gl/maps/,
# maps.google.<tld>, google.<tld>/maps), then anything but white space. Empty removes the link.
_REST = "([/?#][^\\s\\x00]*)?"
_GOOGLE_TLD = "(com|[a-z]{2}|com?\\.[a-z]{2})"
GOOGLE_STREET_VIEW = (
    f"^(https://(maps\\.app\\.goo\\.gl{_REST}|goo\\.gl/maps/[^\\s\\x00]*"
    f"|maps\\.google\\.{_GOOGLE_TLD}{_REST}|(www\\.)?google\\.{_GOOGLE_TLD}/maps{_REST}))?$"
)
# Tags: comma-separated, each 1 to TAG_MAX_LENGTH letters (any case), digits and hyphens;
# blanks skipped.
TAG = f"\\s*([A-Za-z0-9-]{{1,{TAG_MAX_LENGTH}}})?\\s*"
TAG_ITEM = f"^{TAG}$"
TAGS = f"^{TAG}(,{TAG}){{0,{MAX_TAGS - 1}}}$"
# Degrees as plain decimals: a longitude (-180 to 180) and a latitude (-90 to 90).
LON = "-?(180(\\.0+)?|(1[0-7][0-9]|[0-9]{1,2})(\\.[0-9]+)?)"
LAT = "-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)"
# A sequence id in a tour's list (mtp.api.tours): a UUID with its hyphens.
UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A Strava activity: its number, or its URL (mtp.sequences.external_links.parse_strava). Empty
# removes the link.
STRAVA = f"^({STRAVA_ACTIVITY_PATTERN})?$"


class DocumentedAPI(NinjaAPI):
    """django-ninja's API whose OpenAPI document is completed by ``complete``."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return complete(super().get_openapi_schema(*args, **kwargs))


def complete(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(dict(document))
    global _category_slugs
    _category_slugs = list(Category.objects.values_list("slug", flat=True))
    kinds = transport_types_by_name().values()
    children = sorted(kind.name for kind in kinds if kind.parent_id is not None)
    every = sorted(kind.name for kind in kinds)
    _security(document)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if isinstance(parameter.get("examples"), list):
                    # A parameter's examples are a map of Example objects (a schema's, a list).
                    parameter["example"] = parameter.pop("examples")[0]
                if parameter["in"] == "query":
                    _text_rules(parameter["schema"], parameter["name"], every)
                if parameter["name"] == "radius":
                    for branch in parameter["schema"].get("anyOf", []):
                        if branch.get("type") == "number":
                            branch["maximum"] = MAX_RADIUS_M
            # mtp_api_sequences_create_sequence -> create_sequence: what a client's method is.
            operation["operationId"] = operation["operationId"].split("_", 3)[-1]
            body = operation.get("requestBody")
            if body:
                for media_type, media in body["content"].items():
                    # The media types share one schema object: each gets its own.
                    schema = copy.deepcopy(media["schema"])
                    _body_rules(schema, children, every)
                    if media_type != "application/json":
                        _without_null(schema)
                        _form_sequences(schema)
                    media["schema"] = _component(document, schema, media_type)
            _examples(path, method, operation)
    _links(document)
    _nested_links(document)
    for operation in document["paths"].get(IMAGE_LIKE, {}).values():
        _photo_key_parameter(operation)
    # Written out whole (its operationId, rules and examples included).
    document["paths"][PHOTO[0]] = {PHOTO[1]: _photo_operation()}
    _photo_link(document)
    return document


def _photo_key_parameter(operation: dict[str, Any]) -> None:
    """A photo's key in the path: a key's characters, as the photo endpoint says."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == "key":
            parameter["description"] = "The photo's key (`key` in the image objects)."
            parameter["schema"] = {"type": "string", "pattern": KEY_PATTERN.pattern}
            parameter["example"] = PHOTO_KEY


def _component(document: dict[str, Any], schema: dict[str, Any], media_type: str) -> dict:
    """``schema`` moved to the document's components, named by its title (and Form for forms,
    which have no null), and a reference to it."""
    if media_type != "application/json":
        schema["title"] = f"{schema['title']}Form"
    name = schema["title"]
    document["components"]["schemas"][name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


# Security ---------------------------------------------------------------------------------


def _security(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    schemes.pop(TOKEN_OR_CLIENT, None)
    schemes[TOKEN_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A user's OAuth 2.0 access token: `Authorization: Bearer <token>`.",
    }
    schemes[CLIENT_ID_SCHEME] = {
        "type": "apiKey",
        "in": "query",
        "name": "client_id",
        "description": "Your application's client ID, for public reads without a token.",
    }
    for item in document["paths"].values():
        for operation in item.values():
            if operation.get("security") == [{TOKEN_SCHEME: []}]:
                # Calls for a user take the token; a client_id, if sent too, must be its app's.
                operation.setdefault("parameters", []).append(
                    {
                        "in": "query",
                        "name": "client_id",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Optional: if sent, the access token's application.",
                    }
                )
            if operation.get("security") == [{TOKEN_OR_CLIENT: []}]:
                operation["security"] = [{TOKEN_SCHEME: []}, {CLIENT_ID_SCHEME: []}]
                # The API key scheme describes client_id; a parameter too would say it twice.
                operation["parameters"] = [
                    parameter
                    for parameter in operation.get("parameters", [])
                    if not (parameter["in"] == "query" and parameter["name"] == "client_id")
                ]


# Values -----------------------------------------------------------------------------------


def _strings(schema: dict[str, Any]):
    """Every plain string schema in ``schema``: itself, its anyOf branches, its items."""
    if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
        yield schema
    for branch in schema.get("anyOf", []):
        yield from _strings(branch)
    if isinstance(schema.get("items"), dict):
        yield from _strings(schema["items"])


def _text_rules(
    schema: dict[str, Any],
    name: str,
    transport_types: list[str],
    *,
    in_body: bool = False,
    every: list[str] | None = None,
) -> None:
    for branch in [schema, *schema.get("anyOf", [])]:
        if branch.get("type") == "array" and name in ("tag", "tags"):
            branch["maxItems"] = MAX_TAGS
        if branch.get("type") == "integer" and name == "strava":
            branch["minimum"] = 1
            branch["maximum"] = 10**20 - 1
        if branch.get("format") == "date-time" and name.startswith("captured_"):
            # RFC 3339: a date-time with its offset, or a date.
            del branch["format"]
            branch["anyOf"] = [{"format": "date-time"}, {"format": "date"}]
    for text in _strings(schema):
        if name == "transport_type":
            text["enum"] = transport_types
        elif name == "transport_types":
            # A challenge's ways of travel: kinds or groups.
            text["enum"] = every or transport_types
        elif name == "name":
            text["pattern"] = NAME
        elif in_body and name in ("title", "source", "camera_makes"):
            text["pattern"] = LINE
        elif in_body and name == "description":
            text["pattern"] = LINES
        elif name in ("seq_key", "mapillary_sequence_key"):
            text["pattern"] = _or_empty(KEY_PATTERN.pattern)
        elif name in ("token", "mapillary_user_token"):
            text["pattern"] = _or_empty(TOKEN_PATTERN.pattern)
        elif name == "google_street_view":
            text["pattern"] = GOOGLE_STREET_VIEW
            text["maxLength"] = GOOGLE_STREET_VIEW_MAX_LENGTH
        elif name == "strava":
            text["pattern"] = STRAVA
        elif name in ("tag", "tags"):
            # In a body's list, a tag per item; elsewhere, tags separated by commas.
            listed = in_body and not any(
                text is branch for branch in [schema, *schema.get("anyOf", [])]
            )
            text["pattern"] = TAG_ITEM if listed else TAGS
        elif name == "sequences":
            text["pattern"] = UUID_TEXT
        elif name == "category":
            # Guidebooks: a slug of the vocabulary kept in the admin.
            text["enum"] = _category_slugs
        elif name == "url":
            text["pattern"] = POI_URL
        elif name == "near":
            text["pattern"] = f"^({LON},{LAT})?$"
        elif name == "bbox":
            text["pattern"] = f"^({LON},{LAT},{LON},{LAT})?$"
        else:
            text.setdefault("pattern", NO_NUL)


def _without_null(schema: dict[str, Any], names: tuple[str, ...] | None = None) -> None:
    """A form has no null: its fields are text (leave a field out instead)."""
    for name, field in schema.get("properties", {}).items():
        if names is not None and name not in names:
            continue
        if "anyOf" in field:
            field["anyOf"] = [branch for branch in field["anyOf"] if branch.get("type") != "null"]
            if len(field["anyOf"]) == 1:
                field.update(field.pop("anyOf")[0])
            if field.get("default", "") is None:
                del field["default"]


def _form_sequences(schema: dict[str, Any]) -> None:
    """A tour's routes in a form: the ids in one field, separated by commas (a form holds at
    most DATA_UPLOAD_MAX_NUMBER_FIELDS fields, fewer than a tour's routes; the server also
    takes the field repeated, as many times as that allows)."""
    field = schema.get("properties", {}).get("sequences")
    if field is None:
        return
    one = UUID_TEXT.removeprefix("^").removesuffix("$")
    schema["properties"]["sequences"] = {
        "type": "string",
        "title": field.get("title", "Sequences"),
        "description": field.get("description", ""),
        "pattern": f"^({one}(,{one}){{0,{MAX_TOUR_SEQUENCES - 1}}})?$",
    }


def _or_empty(pattern: str) -> str:
    """``pattern`` (anchored with ^ and $), or the empty text, which counts as left out."""
    return f"^({pattern.removeprefix('^').removesuffix('$')})?$"


def _body_rules(schema: dict[str, Any], transport_types: list[str], every: list[str]) -> None:
    properties = schema.get("properties", {})
    for name, field in properties.items():
        _text_rules(field, name, transport_types, in_body=True, every=every)
        if name == "area":
            for branch in [field, *field.get("anyOf", [])]:
                if branch.get("type") == "object":
                    branch.update(copy.deepcopy(AREA))
    # A sequence or challenge always has a name (and a challenge its area, window and lists):
    # a change may leave them out, never set them to null. Likewise a guidebook's fields.
    _without_null(schema, NOT_NULL + GUIDEBOOK_NOT_NULL)
    _placing_rules(schema)
    # A tour's status either, nor (in a list of a tour's routes) the same id twice.
    _without_null(schema, ("status",))
    if "sequences" in properties:
        properties["sequences"]["uniqueItems"] = True
    if "tags" in properties and "tag" in properties:
        schema["not"] = {"required": ["tags", "tag"]}
    if "seq_key" in properties:
        schema["allOf"] = MAPILLARY_PAIR


# A challenge's area (mtp.challenges.areas.parse_area): rings of at least 4 positions of 2 or 3
# numbers, no member but its type, coordinates and a crs naming WGS 84. What a schema cannot say
# (closed rings, a valid shape, the size limit) the server answers with 422.
_POSITION = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
_RING = {"type": "array", "minItems": 4, "items": _POSITION}
_POLYGON = {"type": "array", "minItems": 1, "items": _RING}
AREA = {
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array"},
        "crs": {"enum": WGS84_CRS},
    },
    "additionalProperties": False,
    "anyOf": [
        {"properties": {"type": {"enum": ["Polygon"]}, "coordinates": _POLYGON}},
        {
            "properties": {
                "type": {"enum": ["MultiPolygon"]},
                "coordinates": {"type": "array", "minItems": 1, "items": _POLYGON},
            }
        },
    ],
}


def _given(*names: str) -> dict[str, Any]:
    """One of ``names`` is sent as a non-empty text (empty and null count as left out)."""
    return {
        "anyOf": [
            {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}
            for name in names
        ]
    }


# A Mapillary sequence key needs the user's Mapillary token, and the other way round; each in
# either spelling (API v1's seq_key and token, or the uploader's longer names).
KEYS = ("seq_key", "mapillary_sequence_key")
TOKENS = ("token", "mapillary_user_token")
MAPILLARY_PAIR = [
    {"if": _given(*KEYS), "then": _given(*TOKENS)},
    {"if": _given(*TOKENS), "then": _given(*KEYS)},
    # One spelling of each (the server takes both when they are the same).
    {"not": {"allOf": [_given(KEYS[0]), _given(KEYS[1])]}},
    {"not": {"allOf": [_given(TOKENS[0]), _given(TOKENS[1])]}},
]


# Guidebooks -----------------------------------------------------------------------------------

# The slugs of guidebook categories, read when the document is made.
_category_slugs: list[str] = []
# A point's link (http or https, a host with a dot-separated name), as Django's URLValidator
# takes it; empty or null: none.
_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
POI_URL = f"^(https?://{_LABEL}(\\.{_LABEL})*\\.[a-z]{{2,63}}(/[^\\s\\x00]*)?)?$"


def _placing_rules(schema: dict[str, Any]) -> None:
    """A point of interest is placed by x and y, or by yaw and pitch, never both; a new one
    must be placed."""
    properties = schema.get("properties", {})
    if not {"x", "y", "yaw", "pitch"} <= set(properties):
        return

    def together(first: str, second: str) -> dict[str, Any]:
        neither = {"not": {"anyOf": [{"required": [first]}, {"required": [second]}]}}
        return {"anyOf": [{"required": [first, second]}, neither]}

    rules = [
        together("x", "y"),
        together("yaw", "pitch"),
        {"not": {"required": ["x", "yaw"]}},
    ]
    if "title" in schema.get("required", []):
        rules.append({"anyOf": [{"required": ["x", "y"]}, {"required": ["yaw", "pitch"]}]})
    schema["allOf"] = rules


GUIDEBOOKS = "/api/v1/guidebooks"
GUIDEBOOK = "/api/v1/guidebooks/{unique_id}"
SCENES = f"{GUIDEBOOK}/scenes"
SCENE = f"{SCENES}/{{scene_id}}"
POIS = f"{SCENE}/pois"
POI = f"{POIS}/{{poi_id}}"
CREATE_GUIDEBOOK = (GUIDEBOOKS, "post")
CREATE_SCENE = (SCENES, "post")
CREATE_POI = (POIS, "post")
GUIDEBOOK_LINKS = {
    "GetGuidebook": (GUIDEBOOK, "get"),
    "UpdateGuidebook": (GUIDEBOOK, "patch"),
    "DeleteGuidebook": (GUIDEBOOK, "delete"),
    "CreateScene": (SCENES, "post"),
    "ReorderScenes": (SCENES, "put"),
}
SCENE_LINKS = {
    "UpdateScene": (SCENE, "patch"),
    "DeleteScene": (SCENE, "delete"),
    "CreatePoi": (POIS, "post"),
}
POI_LINKS = {"UpdatePoi": (POI, "patch"), "DeletePoi": (POI, "delete")}
# Each create of a guidebook's part, the links from its 201, and where their ids come from.
NESTED_LINKS = [
    (
        CREATE_SCENE,
        SCENE_LINKS,
        {"unique_id": "$request.path.unique_id", "scene_id": "$response.body#/unique_id"},
        "The scene just added.",
    ),
    (
        CREATE_POI,
        POI_LINKS,
        {
            "unique_id": "$request.path.unique_id",
            "scene_id": "$request.path.scene_id",
            "poi_id": "$response.body#/unique_id",
        },
        "The point of interest just placed.",
    ),
]


def _nested_links(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for (create_path, create_method), targets, parameters, description in NESTED_LINKS:
        create = paths.get(create_path, {}).get(create_method)
        if create is None:
            continue
        links = {
            name: {
                "operationId": paths[path][method]["operationId"],
                "parameters": parameters,
                "description": description,
            }
            for name, (path, method) in targets.items()
            if method in paths.get(path, {})
        }
        responses = create["responses"]
        responses[201 if 201 in responses else "201"]["links"] = links


# Links ------------------------------------------------------------------------------------

CREATE = ("/api/v1/sequence/create", "post")
# The operations that take a sequence id, by the name of their link.
SEQUENCE_LINKS = {
    "GetSequence": ("/api/v1/sequence/{unique_id}", "get"),
    "ListImages": ("/api/v1/sequence/{unique_id}/images", "get"),
    "UpdateSequence": ("/api/v1/sequence/{unique_id}", "patch"),
    "DeleteSequence": ("/api/v1/sequence/{unique_id}", "delete"),
    "ImportSequence": ("/api/v1/sequence/import/{unique_id}", "put"),
}
# A sequence just created is a draft, which cannot be liked until an import publishes it: its
# create does not link to these.
SEQUENCE_LIKES = {
    "LikeSequence": ("/api/v1/sequence/{unique_id}/like", "put"),
    "UnlikeSequence": ("/api/v1/sequence/{unique_id}/like", "delete"),
}
CREATE_CHALLENGE = ("/api/v1/challenges", "post")
CHALLENGE = "/api/v1/challenges/{unique_id}"
# The operations that take a challenge id, by the name of their link.
CHALLENGE_LINKS = {
    "GetChallenge": (CHALLENGE, "get"),
    "UpdateChallenge": (CHALLENGE, "patch"),
    "DeleteChallenge": (CHALLENGE, "delete"),
    "ChallengeLeaderboard": (f"{CHALLENGE}/leaderboard", "get"),
}
# Tours --------------------------------------------------------------------------------------
CREATE_TOUR = ("/api/v1/tours", "post")
TOUR = "/api/v1/tours/{unique_id}"
# The operations that take a tour id, by the name of their link.
TOUR_LINKS = {
    "GetTour": (TOUR, "get"),
    "UpdateTour": (TOUR, "patch"),
    "DeleteTour": (TOUR, "delete"),
    "ReplaceTourSequences": (f"{TOUR}/sequences", "put"),
    "LikeTour": (f"{TOUR}/like", "put"),
    "UnlikeTour": (f"{TOUR}/like", "delete"),
}
# ---------------------------------------------------------------------------------------------
# Each create, the links from its 201, and what the links lead to.
LINKS = [
    (CREATE, SEQUENCE_LINKS, "The sequence just created."),
    (CREATE_CHALLENGE, CHALLENGE_LINKS, "The challenge just created."),
    (CREATE_TOUR, TOUR_LINKS, "The tour just created."),
    (CREATE_GUIDEBOOK, GUIDEBOOK_LINKS, "The guidebook just created."),
]


def _links(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for (create_path, create_method), targets, description in LINKS:
        create = paths.get(create_path, {}).get(create_method)
        if create is None:
            continue
        links = {}
        for name, (path, method) in targets.items():
            target = paths.get(path, {}).get(method)
            if target is None:
                continue
            links[name] = {
                "operationId": target["operationId"],
                "parameters": {"unique_id": "$response.body#/unique_id"},
                "description": description,
            }
        # django-ninja keys responses by number; a document read back from JSON, by text.
        responses = create["responses"]
        responses[201 if 201 in responses else "201"]["links"] = links


# The photo endpoint ---------------------------------------------------------------------------

PHOTO = ("/api/v1/images/{key}/thumbnail", "get")
# A photo's like (mtp.api.sequences): its key is a photo's, as the photo endpoint's is.
IMAGE_LIKE = "/api/v1/images/{key}/like"
IMAGES = ("/api/v1/sequence/{unique_id}/images", "get")
PHOTO_KEY = "148137757289079"
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}
RETRY_AFTER = {
    "description": "Seconds to wait before asking again.",
    "schema": {"type": "integer", "minimum": 1},
}
CACHE_CONTROL = {
    "description": "`public` for published photos, `private` for the owner's.",
    "schema": {"type": "string"},
}


def _photo_error(description: str, example: dict[str, Any], **headers: dict) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_SCHEMA, "example": example}},
    }
    if headers:
        response["headers"] = {name.replace("_", "-"): value for name, value in headers.items()}
    return response


def _photo_operation() -> dict[str, Any]:
    """``GET /api/v1/images/{key}/thumbnail`` (``mtp.api.images.thumbnail``).

    Security: none for photos of published sequences (``<img>`` tags send nothing). A photo of
    a sequence that is not published answers only its owner: by the signed link the image
    objects give the owner (``expires`` and ``signature``), the owner's browser session (a
    cookie of this site, not a scheme for API clients), or the owner's access token; the token
    is listed as the other way in.
    """
    size_error = invalid_size()
    return {
        "operationId": "get_photo",
        "tags": ["images"],
        "summary": "A photo",
        "description": (
            "The photo of an image, at one of four sizes. A photo uploaded to this server: "
            "`200` with its file (500 px wide for `size=256`, 2,048 px for 1024 and 2048, the "
            "file as uploaded for `original`). An imported photo: a `302` to a link on Mapillary's "
            "CDN freshly signed for this server, or `200` with this server's kept JPEG copy "
            "(always for `size=256` once there is one; for other sizes when Mapillary cannot "
            "give the photo). The image objects' `thumb_*_url` fields are such links, ready "
            "for an `<img>` tag.\n\n"
            "Photos of published sequences need neither a token nor a `client_id`, and are "
            "rate limited per address. A photo of a sequence that is not published answers "
            "only its owner: the signed link given to the owner (`expires` and `signature`, "
            "valid for a week), the owner's browser session on this site, or the owner's "
            "access token; anyone else gets the 404 of a photo that does not exist."
        ),
        "security": [{}, {TOKEN_SCHEME: []}],
        "parameters": [
            {
                "in": "path",
                "name": "key",
                "required": True,
                "description": "The image's key (`key` in the image objects).",
                "schema": {"type": "string", "pattern": KEY_PATTERN.pattern},
                "example": PHOTO_KEY,
            },
            {
                "in": "query",
                "name": "size",
                "required": False,
                "description": "Pixels on the longer side, or the original photo.",
                "schema": {"type": "string", "enum": list(SIZES), "default": DEFAULT_SIZE},
            },
            {
                "in": "query",
                "name": "expires",
                "required": False,
                "description": "A signed link's expiry (with `signature`): as given, for "
                "the owner's photos of a sequence that is not published. Ignored otherwise.",
                "schema": {"type": "string"},
            },
            {
                "in": "query",
                "name": "signature",
                "required": False,
                "description": "A signed link's signature (with `expires`), as given.",
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "200": {
                "description": "This server's kept copy of the photo.",
                "headers": {"Cache-Control": CACHE_CONTROL},
                "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
            },
            "302": {
                "description": "The photo on Mapillary's CDN, by a freshly signed link. "
                "`Cache-Control` never outlives that link.",
                "headers": {
                    "Location": {
                        "description": "The signed link to the photo (a JPEG).",
                        "required": True,
                        "schema": {"type": "string", "format": "uri"},
                    },
                    "Cache-Control": CACHE_CONTROL,
                },
            },
            "401": _photo_error(
                "A token was sent for a photo that is not public, and it is not live.",
                {**ERROR_EXAMPLES["401"], "detail": {}},
            ),
            "404": _photo_error(
                "No photo with this key (or not yours), or Mapillary no longer has it and "
                "this server kept no copy.",
                {"error": NOT_FOUND, "status": False, "detail": {}},
            ),
            "422": _photo_error(
                "`size` is not one of the four.",
                {"error": size_error.message, "status": False, "detail": size_error.detail},
            ),
            "429": _photo_error(
                "Too many photos from this address.",
                {
                    "error": "Too many requests: slow down. Try again in 17 seconds.",
                    "status": False,
                    "detail": {"policy": "photos", "limit": 3000, "window": 60, "retry_after": 17},
                },
                Retry_After=RETRY_AFTER,
            ),
            "503": _photo_error(
                "Mapillary cannot give the photo now and no copy was kept, or this server has "
                "no Mapillary client token.",
                {**ERROR_EXAMPLES["503"], "detail": {}},
                Retry_After={**RETRY_AFTER, "required": True},
            ),
        },
    }


def _photo_link(document: dict[str, Any]) -> None:
    """A page of images links to the photo of its first image: a link passes values from the
    response body only, and the key is one. It suits published sequences; a photo of a sequence
    that is not published also needs the owner's token (or the signed ``thumb_*_url`` as given,
    whose ``expires`` and ``signature`` are inside a URL, out of a link's reach). An empty
    page has no first image: there the link does not apply (schemathesis notes it, and moves on)."""
    images = document["paths"].get(IMAGES[0], {}).get(IMAGES[1])
    if images is None:
        return
    responses = images["responses"]
    responses[200 if 200 in responses else "200"]["links"] = {
        "GetPhoto": {
            "operationId": "get_photo",
            "parameters": {"key": "$response.body#/results/0/key"},
            "description": "The photo of the page's first image.",
        }
    }


# Examples ---------------------------------------------------------------------------------

EXAMPLE_ID = "3f1c9a52-7d4b-4e0a-9b8e-2a6c1d5e7f90"
EXAMPLE_OWNER = {
    "username": "olivia",
    "display_name": "Olivia",
    "profile_url": "https://mtp.example.org/u/olivia",
}
EXAMPLE_IMPORT = {
    "status": "queued",
    "mapillary_sequence_key": "k7Pq2sVxNw3aBc9dEf1GhJ",
    "progress": {"done": 0, "total": 0},
    "error": None,
    "note": None,
    "created_at": "2025-05-01T09:12:00Z",
    "finished_at": None,
}
EXAMPLE_IMAGE = {
    "key": "498763468214164",
    "mapillary_key": "498763468214164",
    "position": 0,
    "lon": 6.1432,
    "lat": 46.2044,
    "captured_at": "2025-05-01T09:00:00Z",
    "compass_angle": 90.0,
    "altitude": 370.0,
    "is_pano": False,
    "width": 4000,
    "height": 3000,
    "camera_make": "GoPro",
    "camera_model": "HERO9 Black",
    "like_count": 2,
    "liked": False,
    "thumb_256_url": "https://mtp.example.org/api/v1/images/498763468214164/thumbnail?size=256",
    "thumb_1024_url": "https://mtp.example.org/api/v1/images/498763468214164/thumbnail?size=1024",
    "thumb_2048_url": "https://mtp.example.org/api/v1/images/498763468214164/thumbnail?size=2048",
    "thumb_original_url": (
        "https://mtp.example.org/api/v1/images/498763468214164/thumbnail?size=original"
    ),
}
EXAMPLE_COVER = {
    name: EXAMPLE_IMAGE[name]
    for name in (
        "key",
        "mapillary_key",
        "thumb_256_url",
        "thumb_1024_url",
        "thumb_2048_url",
        "thumb_original_url",
    )
}
EXAMPLE_SEQUENCE = {
    "unique_id": EXAMPLE_ID,
    "name": "Lake shore walk",
    "description": "Along the lake from the Jet d'Eau.",
    "transport_type": "Walk",
    "tags": ["lake", "geneva"],
    "status": "published",
    "image_count": 4,
    "distance_m": 556.3,
    "captured_at_start": "2025-05-01T09:00:00Z",
    "captured_at_end": "2025-05-01T09:00:30Z",
    "is_pano": False,
    "like_count": 3,
    "bbox": [6.1432, 46.2044, 6.15, 46.207],
    "mapillary_sequence_key": "k7Pq2sVxNw3aBc9dEf1GhJ",
    "google_street_view": None,
    "strava": None,
    "source": "mtpdu",
    "photo_source": "mapillary",
    "owner": EXAMPLE_OWNER,
    "created_at": "2025-05-01T09:10:00Z",
    "updated_at": "2025-05-01T09:15:00Z",
    "published_at": "2025-05-01T09:15:00Z",
    "url": f"https://mtp.example.org/sequence/{EXAMPLE_ID}",
    "import": None,
    "cover": EXAMPLE_COVER,
}
EXAMPLE_DRAFT = {
    **EXAMPLE_SEQUENCE,
    "like_count": 0,
    "cover": None,
    "status": "draft",
    "image_count": 0,
    "distance_m": 0.0,
    "captured_at_start": None,
    "captured_at_end": None,
    "bbox": None,
    "mapillary_sequence_key": None,
    "published_at": None,
    "updated_at": "2025-05-01T09:10:00Z",
}
NEXT = "https://mtp.example.org/api/v1/sequences?cursor=eyJrIjoxfQ"
EXAMPLE_CHALLENGE_ID = "8b2e4f61-0c3d-4a9e-b5f7-1d2c3e4f5a6b"
EXAMPLE_AREA = {
    "type": "Polygon",
    "coordinates": [[[6.10, 46.19], [6.18, 46.19], [6.18, 46.23], [6.10, 46.23], [6.10, 46.19]]],
}
EXAMPLE_CHALLENGE = {
    "unique_id": EXAMPLE_CHALLENGE_ID,
    "name": "Geneva lake shore in May",
    "description": "Walk or paddle the shore; every photo in the area counts.",
    "owner": {
        "username": "olivia",
        "name": "Olivia",
        "profile_url": "https://mtp.example.org/u/olivia",
    },
    "transport_types": ["Kayak", "Walk"],
    "camera_makes": ["GoPro"],
    "start": "2025-05-01T00:00:00Z",
    "end": "2025-06-01T00:00:00Z",
    "is_active": True,
    "bbox": [6.10, 46.19, 6.18, 46.23],
    "url": f"https://mtp.example.org/challenges/{EXAMPLE_CHALLENGE_ID}",
    "created_at": "2025-04-20T08:00:00Z",
    "updated_at": "2025-04-20T08:00:00Z",
}
EXAMPLE_LEADERBOARD = {
    "results": [
        {"rank": 1, "user": EXAMPLE_CHALLENGE["owner"], "value": 1204},
        {
            "rank": 2,
            "user": {
                "username": "noah",
                "name": "Noah",
                "profile_url": "https://mtp.example.org/u/noah",
            },
            "value": 388,
        },
    ],
    "next": "https://mtp.example.org/api/v1/leaderboard?cursor=WyJyYW5rIiwyLDE3XQ",
}
EXAMPLE_PHOTO_LEADERBOARD = {
    "results": [
        {
            "rank": 1,
            "key": EXAMPLE_IMAGE["key"],
            "like_count": 12,
            **{name: EXAMPLE_IMAGE[name] for name in EXAMPLE_COVER if name.startswith("thumb_")},
            "sequence": {
                "unique_id": EXAMPLE_ID,
                "name": "Lake shore walk",
                "transport_type": "Walk",
                "url": f"https://mtp.example.org/sequences/{EXAMPLE_ID}/?photo={EXAMPLE_IMAGE['key']}",
            },
            "user": EXAMPLE_CHALLENGE["owner"],
        }
    ],
    "next": "https://mtp.example.org/api/v1/leaderboard/photos?cursor=WyJwaG90byIsMTIsNDIsMSwxXQ",
}

# Tours --------------------------------------------------------------------------------------
EXAMPLE_TOUR_ID = "5d7e9f10-2a3b-4c5d-8e6f-7a8b9c0d1e2f"
EXAMPLE_SECOND_ROUTE = {
    **EXAMPLE_SEQUENCE,
    "unique_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d",
    "name": "Old town stairs",
    "url": "https://mtp.example.org/sequence/9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d",
    "like_count": 1,
    "cover": None,
}
EXAMPLE_TOUR_SUMMARY = {
    "unique_id": EXAMPLE_TOUR_ID,
    "name": "Geneva in a day",
    "description": "The lake shore, then up to the old town.",
    "tags": ["geneva"],
    "status": "published",
    "sequence_count": 2,
    "image_count": 8,
    "distance_m": 1112.6,
    "bbox": [6.1432, 46.2044, 6.15, 46.207],
    "like_count": 5,
    "owner": EXAMPLE_OWNER,
    "url": f"https://mtp.example.org/tours/{EXAMPLE_TOUR_ID}/",
    "created_at": "2025-05-02T08:00:00Z",
    "updated_at": "2025-05-02T08:00:00Z",
    "published_at": "2025-05-02T08:00:00Z",
}
EXAMPLE_TOUR = {**EXAMPLE_TOUR_SUMMARY, "sequences": [EXAMPLE_SEQUENCE, EXAMPLE_SECOND_ROUTE]}
EXAMPLE_LIKE = {"unique_id": EXAMPLE_TOUR_ID, "liked": True, "like_count": 6}
# ---------------------------------------------------------------------------------------------

# Request bodies, by operation.
REQUEST_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    CREATE: {
        "name": "Lake shore walk",
        "description": "Along the lake from the Jet d'Eau.",
        "transport_type": "Walk",
        "tag": "lake,geneva",
        "source": "mtpdu",
    },
    ("/api/v1/sequence/import/{unique_id}", "put"): {
        "seq_key": "k7Pq2sVxNw3aBc9dEf1GhJ",
        "token": "MLY|4242|user-token",
    },
    ("/api/v1/sequence/{unique_id}", "patch"): {
        "name": "Lake shore walk at dawn",
        "tags": ["lake", "geneva", "dawn"],
    },
    CREATE_CHALLENGE: {
        "name": "Geneva lake shore in May",
        "description": "Walk or paddle the shore; every photo in the area counts.",
        "area": EXAMPLE_AREA,
        "transport_types": ["Walk", "Kayak"],
        "camera_makes": ["GoPro"],
        "start": "2025-05-01T00:00:00Z",
        "end": "2025-06-01T00:00:00Z",
    },
    (CHALLENGE, "patch"): {"end": "2025-06-15T00:00:00Z", "camera_makes": []},
    # Tours
    CREATE_TOUR: {
        "name": "Geneva in a day",
        "description": "The lake shore, then up to the old town.",
        "tags": ["geneva"],
        "sequences": [EXAMPLE_ID, EXAMPLE_SECOND_ROUTE["unique_id"]],
    },
    (TOUR, "patch"): {"name": "Geneva in a long day", "status": "published"},
    (f"{TOUR}/sequences", "put"): {"sequences": [EXAMPLE_SECOND_ROUTE["unique_id"], EXAMPLE_ID]},
}

# Replies, by operation and status (errors share one example).
RESPONSE_EXAMPLES = {
    ("/api/v1/me", "get", "200"): EXAMPLE_OWNER,
    (*CREATE, "201"): {"unique_id": EXAMPLE_ID, "sequence": EXAMPLE_DRAFT},
    ("/api/v1/sequence/import/{unique_id}", "put", "200"): {
        "unique_id": EXAMPLE_ID,
        "sequence": EXAMPLE_SEQUENCE,
    },
    ("/api/v1/sequence/import/{unique_id}", "put", "202"): {
        "unique_id": EXAMPLE_ID,
        "sequence": {
            **EXAMPLE_DRAFT,
            "status": "importing",
            "import": EXAMPLE_IMPORT,
        },
        "import": EXAMPLE_IMPORT,
    },
    ("/api/v1/sequence/{unique_id}", "get", "200"): EXAMPLE_SEQUENCE,
    ("/api/v1/sequence/{unique_id}", "patch", "200"): {
        "unique_id": EXAMPLE_ID,
        "sequence": {
            **EXAMPLE_SEQUENCE,
            "name": "Lake shore walk at dawn",
            "tags": ["dawn", "geneva", "lake"],
        },
    },
    ("/api/v1/sequence/{unique_id}/images", "get", "200"): {
        "results": [EXAMPLE_IMAGE],
        "next": None,
    },
    ("/api/v1/sequences", "get", "200"): {"results": [EXAMPLE_SEQUENCE], "next": NEXT},
    ("/api/v1/images/nearby", "get", "200"): {
        "results": [
            {
                **EXAMPLE_IMAGE,
                "distance_m": 3.4,
                "sequence": {
                    "unique_id": EXAMPLE_SECOND_ROUTE["unique_id"],
                    "name": EXAMPLE_SECOND_ROUTE["name"],
                    "owner": "olivia",
                },
            }
        ]
    },
    ("/api/v1/transport-types", "get", "200"): [
        {"name": "Earth", "children": [{"name": "Run"}, {"name": "Walk"}]},
        {"name": "Water", "children": [{"name": "Kayak"}, {"name": "Paddleboard"}]},
    ],
    ("/api/v1/leaderboard", "get", "200"): EXAMPLE_LEADERBOARD,
    ("/api/v1/leaderboard/photos", "get", "200"): EXAMPLE_PHOTO_LEADERBOARD,
    (*CREATE_CHALLENGE, "201"): {
        "unique_id": EXAMPLE_CHALLENGE_ID,
        "challenge": EXAMPLE_CHALLENGE,
    },
    ("/api/v1/challenges", "get", "200"): {"results": [EXAMPLE_CHALLENGE], "next": None},
    (CHALLENGE, "get", "200"): EXAMPLE_CHALLENGE,
    (CHALLENGE, "patch", "200"): {
        "unique_id": EXAMPLE_CHALLENGE_ID,
        "challenge": {
            **EXAMPLE_CHALLENGE,
            "end": "2025-06-15T00:00:00Z",
            "camera_makes": [],
            "updated_at": "2025-05-02T10:30:00Z",
        },
    },
    (f"{CHALLENGE}/leaderboard", "get", "200"): {
        **EXAMPLE_LEADERBOARD,
        "next": None,
    },
    # Tours
    (*CREATE_TOUR, "201"): {"unique_id": EXAMPLE_TOUR_ID, "tour": EXAMPLE_TOUR},
    ("/api/v1/tours", "get", "200"): {"results": [EXAMPLE_TOUR_SUMMARY], "next": None},
    (TOUR, "get", "200"): EXAMPLE_TOUR,
    (TOUR, "patch", "200"): {
        "unique_id": EXAMPLE_TOUR_ID,
        "tour": {**EXAMPLE_TOUR, "name": "Geneva in a long day"},
    },
    (f"{TOUR}/sequences", "put", "200"): {
        "unique_id": EXAMPLE_TOUR_ID,
        "tour": {**EXAMPLE_TOUR, "sequences": [EXAMPLE_SECOND_ROUTE, EXAMPLE_SEQUENCE]},
    },
    (f"{TOUR}/like", "put", "200"): EXAMPLE_LIKE,
    (f"{TOUR}/like", "delete", "200"): {**EXAMPLE_LIKE, "liked": False, "like_count": 5},
    ("/api/v1/sequence/{unique_id}/like", "put", "200"): {
        "unique_id": EXAMPLE_ID,
        "liked": True,
        "like_count": 4,
    },
    ("/api/v1/sequence/{unique_id}/like", "delete", "200"): {
        "unique_id": EXAMPLE_ID,
        "liked": False,
        "like_count": 3,
    },
    (IMAGE_LIKE, "put", "200"): {"key": PHOTO_KEY, "liked": True, "like_count": 3},
    (IMAGE_LIKE, "delete", "200"): {"key": PHOTO_KEY, "liked": False, "like_count": 2},
    ("/api/v1/tags", "get", "200"): {
        "results": [{"name": "lake", "count": 12}, {"name": "alps", "count": 7}],
        "next": None,
    },
}
EXAMPLE_ERROR = {
    "error": "transport_type: Unknown transport type 'Hoverboard'.",
    "status": False,
    "detail": {
        "errors": [
            {
                "field": "transport_type",
                "message": "transport_type: Unknown transport type 'Hoverboard'.",
                "type": "invalid_transport_type",
            }
        ]
    },
}
ERROR_EXAMPLES = {
    "400": {"error": "The request body is not valid JSON.", "status": False, "detail": {}},
    "401": {"error": "The access token is invalid, expired or revoked.", "status": False},
    "403": {"error": "This needs the write scope.", "status": False},
    "404": {"error": "No sequence with this id.", "status": False},
    "406": {
        "error": "This resource is not available as text/html.",
        "status": False,
        "detail": {"available": ["application/json"]},
    },
    "409": {"error": "This Mapillary sequence is in another sequence.", "status": False},
    "413": {"error": "The request body is over the limit.", "status": False},
    "415": {"error": "Send the body as JSON or a form.", "status": False},
    "422": EXAMPLE_ERROR,
    "429": {"error": "Too many requests: wait 17 seconds.", "status": False},
    "503": {"error": "Mapillary cannot be reached now.", "status": False},
}


# Guidebooks' examples -------------------------------------------------------------------------

EXAMPLE_GUIDEBOOK_ID = "5d7e9f10-2a3b-4c5d-8e9f-0a1b2c3d4e5f"
EXAMPLE_SCENE_ID = "6e8f0a21-3b4c-4d5e-9f0a-1b2c3d4e5f60"
EXAMPLE_POI_ID = "7f901b32-4c5d-4e6f-a01b-2c3d4e5f6071"
EXAMPLE_CATEGORY = {"slug": "history", "name": "History"}
EXAMPLE_POI = {
    "unique_id": EXAMPLE_POI_ID,
    "title": "Jet d'Eau",
    "description": "The fountain, 140 m high.",
    "x": 0.62,
    "y": 0.35,
    "yaw": None,
    "pitch": None,
    "category": {"slug": "water", "name": "Water"},
    "url": "https://en.wikipedia.org/wiki/Jet_d%27Eau",
}
EXAMPLE_SCENE = {
    "unique_id": EXAMPLE_SCENE_ID,
    "position": 0,
    "title": "The harbour",
    "description": "Start at the end of the pier.",
    "image": EXAMPLE_IMAGE,
    "sequence": {
        "unique_id": EXAMPLE_ID,
        "name": "Lake shore walk",
        "url": f"https://mtp.example.org/sequences/{EXAMPLE_ID}/",
    },
    "pois": [EXAMPLE_POI],
}
EXAMPLE_GUIDEBOOK_SUMMARY = {
    "unique_id": EXAMPLE_GUIDEBOOK_ID,
    "name": "Geneva's lake shore",
    "description": "Five stops along the water.",
    "category": EXAMPLE_CATEGORY,
    "tags": ["geneva", "lake"],
    "published": True,
    "published_at": "2025-05-02T08:00:00Z",
    "owner": EXAMPLE_OWNER,
    "scene_count": 1,
    "url": f"https://mtp.example.org/guidebooks/{EXAMPLE_GUIDEBOOK_ID}/",
    "created_at": "2025-05-01T18:00:00Z",
    "updated_at": "2025-05-02T08:00:00Z",
}
EXAMPLE_GUIDEBOOK = {
    **EXAMPLE_GUIDEBOOK_SUMMARY,
    "bbox": [6.1432, 46.2044, 6.1432, 46.2044],
    "scenes": [EXAMPLE_SCENE],
}
EXAMPLE_NEW_GUIDEBOOK = {
    **EXAMPLE_GUIDEBOOK,
    "published": False,
    "published_at": None,
    "scene_count": 0,
    "bbox": None,
    "scenes": [],
    "updated_at": "2025-05-01T18:00:00Z",
}
REQUEST_EXAMPLES.update(
    {
        CREATE_GUIDEBOOK: {
            "name": "Geneva's lake shore",
            "description": "Five stops along the water.",
            "category": "history",
            "tags": ["geneva", "lake"],
        },
        (GUIDEBOOK, "patch"): {"published": True},
        CREATE_SCENE: {
            "image": PHOTO_KEY,
            "title": "The harbour",
            "description": "Start at the end of the pier.",
        },
        (SCENES, "put"): {"scenes": [EXAMPLE_SCENE_ID]},
        (SCENE, "patch"): {"title": "The harbour at dawn", "position": 0},
        CREATE_POI: {
            "title": "Jet d'Eau",
            "description": "The fountain, 140 m high.",
            "x": 0.62,
            "y": 0.35,
            "category": "water",
            "url": "https://en.wikipedia.org/wiki/Jet_d%27Eau",
        },
        (POI, "patch"): {"title": "The Jet d'Eau"},
    }
)
RESPONSE_EXAMPLES.update(
    {
        ("/api/v1/guidebook-categories", "get", "200"): [
            EXAMPLE_CATEGORY,
            {"slug": "water", "name": "Water"},
        ],
        (*CREATE_GUIDEBOOK, "201"): {
            "unique_id": EXAMPLE_GUIDEBOOK_ID,
            "guidebook": EXAMPLE_NEW_GUIDEBOOK,
        },
        (GUIDEBOOKS, "get", "200"): {"results": [EXAMPLE_GUIDEBOOK_SUMMARY], "next": None},
        (GUIDEBOOK, "get", "200"): EXAMPLE_GUIDEBOOK,
        (GUIDEBOOK, "patch", "200"): {
            "unique_id": EXAMPLE_GUIDEBOOK_ID,
            "guidebook": EXAMPLE_GUIDEBOOK,
        },
        (*CREATE_SCENE, "201"): {"unique_id": EXAMPLE_SCENE_ID, "scene": EXAMPLE_SCENE},
        (SCENES, "put", "200"): {"unique_id": EXAMPLE_GUIDEBOOK_ID, "guidebook": EXAMPLE_GUIDEBOOK},
        (SCENE, "patch", "200"): {
            "unique_id": EXAMPLE_SCENE_ID,
            "scene": {**EXAMPLE_SCENE, "title": "The harbour at dawn"},
        },
        (*CREATE_POI, "201"): {"unique_id": EXAMPLE_POI_ID, "poi": EXAMPLE_POI},
        (POI, "patch", "200"): {
            "unique_id": EXAMPLE_POI_ID,
            "poi": {**EXAMPLE_POI, "title": "The Jet d'Eau"},
        },
    }
)


def _examples(path: str, method: str, operation: dict[str, Any]) -> None:
    body = operation.get("requestBody")
    request_example = REQUEST_EXAMPLES.get((path, method))
    if body and request_example is not None:
        for media_type, media in body["content"].items():
            body_example = request_example
            if media_type != "application/json" and isinstance(body_example.get("sequences"), list):
                # A form sends a tour's routes in one field (_form_sequences).
                body_example = {**body_example, "sequences": ",".join(body_example["sequences"])}
            media["example"] = body_example
    for status, response in operation["responses"].items():
        content = response.get("content", {}).get("application/json")
        if content is None:
            continue
        example = RESPONSE_EXAMPLES.get((path, method, str(status)))
        if example is None and str(status) in ERROR_EXAMPLES:
            example = {"detail": {}, **ERROR_EXAMPLES[str(status)]}
        if example is not None:
            content["example"] = example
