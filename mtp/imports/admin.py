from django.contrib import admin

from mtp.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "sequence",
        "mapillary_sequence_key",
        "status",
        "progress_done",
        "progress_total",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("mapillary_sequence_key", "sequence__unique_id")
    raw_id_fields = ("sequence",)
    # The encrypted token and the lease are never shown or editable here.
    exclude = ("token_ciphertext", "lease_owner", "lease_expires_at")
    readonly_fields = ("attempts", "error", "created_at", "started_at", "finished_at")
