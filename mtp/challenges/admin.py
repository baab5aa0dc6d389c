from django.contrib.gis import admin

from mtp.challenges.models import Challenge


@admin.register(Challenge)
class ChallengeAdmin(admin.GISModelAdmin):
    list_display = ("name", "owner", "start", "end")
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("bbox_west", "bbox_south", "bbox_east", "bbox_north")
