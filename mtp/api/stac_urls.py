"""URLs of the STAC API, mounted at /api/ (its landing page is also /api itself)."""

from django.urls import path

from mtp.api import stac

urlpatterns = [
    path("", stac.landing),
    path("conformance", stac.conformance, name="stac-conformance"),
    path("collections", stac.collections, name="stac-collections"),
    path("collections/<str:collection_id>", stac.collection, name="stac-collection"),
    path("collections/<str:collection_id>/items", stac.items, name="stac-items"),
    path("collections/<str:collection_id>/items/<str:item_id>", stac.item, name="stac-item"),
    path("search", stac.search, name="stac-search"),
    path("users/<str:user_id>/collection", stac.user_collection, name="stac-user-collection"),
]
