from django.contrib.gis import admin

from mtp.sequences.models import (
    CameraMake,
    CameraModel,
    Image,
    KeepPhotosJob,
    Sequence,
    Tag,
    TransportType,
)


@admin.register(TransportType)
class TransportTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    list_filter = ("parent",)
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(CameraMake)
class CameraMakeAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(CameraModel)
class CameraModelAdmin(admin.ModelAdmin):
    list_display = ("name", "make")
    search_fields = ("name", "make__name")
    list_select_related = ("make",)


@admin.register(Sequence)
class SequenceAdmin(admin.GISModelAdmin):
    list_display = ("name", "owner", "transport_type", "status", "image_count", "created_at")
    list_filter = ("status", "transport_type__parent")
    search_fields = ("name", "unique_id", "mapillary_sequence_key", "owner__username")
    list_select_related = ("owner", "transport_type")
    raw_id_fields = ("owner", "camera_make", "camera_model", "application")
    filter_horizontal = ("tags",)
    readonly_fields = ("unique_id", "created_at", "updated_at")


@admin.register(Image)
class ImageAdmin(admin.GISModelAdmin):
    list_display = ("key", "mapillary_key", "sequence", "position", "captured_at")
    search_fields = ("key", "mapillary_key", "sequence__unique_id")
    raw_id_fields = ("sequence", "camera_make", "camera_model")
    list_select_related = ("sequence",)


@admin.register(KeepPhotosJob)
class KeepPhotosJobAdmin(admin.ModelAdmin):
    """Jobs keeping copies of photos, to look at: workers own their state."""

    list_display = ("sequence", "status", "kept", "missing", "attempts", "next_attempt_at")
    list_filter = ("status",)
    search_fields = ("sequence__unique_id",)
    list_select_related = ("sequence",)
    fields = (
        "sequence",
        "status",
        "kept",
        "missing",
        "attempts",
        "last_error",
        "next_attempt_at",
        "lease_expires_at",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
