from django.contrib import admin

from mtp.guidebooks.models import Category, Guidebook, Poi, Scene


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The vocabulary of categories: add, rename or reorder them here."""

    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")


class SceneInline(admin.TabularInline):
    model = Scene
    fields = ("position", "image", "title")
    raw_id_fields = ("image",)
    extra = 0


@admin.register(Guidebook)
class GuidebookAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "category", "published_at", "created_at")
    list_filter = ("category",)
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner", "application", "tags")
    inlines = [SceneInline]


@admin.register(Poi)
class PoiAdmin(admin.ModelAdmin):
    list_display = ("title", "scene", "category", "x", "y")
    raw_id_fields = ("scene",)
    search_fields = ("title",)
