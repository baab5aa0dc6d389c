from django.contrib import admin

from mtp.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Import jobs, to look at: workers own their state, and the token is never shown."""

    list_display = (
        "sequence",
        "mapillary_sequence_key",
        "status",
        "progress_done",
        "progress_total",
        "attempts",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("mapillary_sequence_key", "sequence__unique_id")
    list_select_related = ("sequence",)
    # The encrypted token is never shown; nothing here is editable.
    fields = (
        "sequence",
        "mapillary_sequence_key",
        "mapillary_user_id",
        "mapillary_username",
        "status",
        "progress_done",
        "progress_total",
        "attempts",
        "last_error",
        "note",
        "lease_owner",
        "lease_expires_at",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
