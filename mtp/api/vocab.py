"""The vocabularies that describe sequences: transport types and tags."""

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router

from mtp.api.auth import token_or_client_auth
from mtp.api.formats import JSON_ONLY, negotiate
from mtp.api.pagination import next_link, offset_page, with_next_link
from mtp.api.schemas import TagFilters, TagListOut, TransportTypeOut
from mtp.api.scopes import READ, require_scope
from mtp.api.sequences import CLIENT_ID_PARAMETER, ERRORS
from mtp.lib.http import json_response
from mtp.sequences.models import Tag, transport_types_by_name

router = Router(tags=["vocabularies"])


@router.get(
    "/transport-types",
    auth=token_or_client_auth,
    response={200: list[TransportTypeOut], **ERRORS},
    summary="Transport types",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def list_transport_types(request: HttpRequest):
    """The groups (Earth, Water...) and, in each, the kinds a sequence can have (Walk, Kayak...).

    A sequence takes a kind; a search by a group includes all its kinds.
    """
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    kinds = list(transport_types_by_name().values())
    groups = sorted((kind for kind in kinds if kind.parent_id is None), key=lambda kind: kind.pk)
    body = [
        {
            "name": group.name,
            "children": [
                {"name": kind.name}
                for kind in sorted(kinds, key=lambda kind: kind.name)
                if kind.parent_id == group.pk
            ],
        }
        for group in groups
    ]
    return json_response(body)


@router.get(
    "/tags",
    auth=token_or_client_auth,
    response={200: TagListOut, **ERRORS},
    summary="Tags in use",
    openapi_extra={"parameters": [CLIENT_ID_PARAMETER]},
)
def list_tags(request: HttpRequest, params: Query[TagFilters]):
    """Tags on published sequences with how many carry each, most used first."""
    negotiate(request, JSON_ONLY)
    require_scope(request, READ)
    tags = Tag.objects.annotate(
        count=Count("sequences", filter=Q(sequences__status="published"))
    ).filter(count__gt=0)
    if params.prefix:
        tags = tags.filter(name__startswith=params.prefix.strip().lower())
    rows, cursor = offset_page(
        tags.order_by("-count", "name").values("name", "count"),
        name="tags",
        limit=params.limit,
        cursor=params.cursor,
    )
    link = next_link(request, cursor)
    response = json_response({"results": rows, "next": link})
    return with_next_link(response, link)
