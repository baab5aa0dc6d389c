from django.urls import re_path

from mtp.api import tiles as views

app_name = "tiles"

urlpatterns = [
    # Any text in each place: the view answers a clear 400 or 404 rather than the URL
    # resolver's page.
    re_path(r"^(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/]+)\.mvt$", views.tile, name="tile"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
