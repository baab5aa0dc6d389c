"""Admin for applications: DOT's, plus whether an application is active or verified by staff,
and its extra flows."""

from django.contrib import admin
from oauth2_provider.admin import ApplicationAdmin as DotApplicationAdmin

from mtp.developers.models import Application


class ApplicationAdmin(DotApplicationAdmin):
    list_display = (
        "pk", "name", "client_id", "user", "client_type", "is_active", "is_verified", "created"
    )  # fmt: skip
    list_filter = (
        "is_verified", "client_type", "is_active", "authorization_grant_type", "skip_authorization"
    )  # fmt: skip
    search_fields = ("name", "client_id", "user__username", "user__email")


admin.site.unregister(Application)
admin.site.register(Application, ApplicationAdmin)
