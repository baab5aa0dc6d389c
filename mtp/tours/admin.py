from django.contrib import admin

from mtp.tours.models import Tour, TourSequence


class TourSequenceInline(admin.TabularInline):
    model = TourSequence
    raw_id_fields = ("sequence",)
    extra = 0


@admin.register(Tour)
class TourAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "status", "sequence_count", "like_count", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner", "application", "tags")
    readonly_fields = ("sequence_count", "image_count", "distance_m", "like_count")
    inlines = [TourSequenceInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.refresh_totals()
