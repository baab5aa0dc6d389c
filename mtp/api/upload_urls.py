"""URLs of the upload API (mtp/api/uploads.py), mounted at /api/ beside API v1."""

from django.urls import path

from mtp.api import uploads

urlpatterns = [
    path("configuration", uploads.configuration, name="upload-configuration"),
    path("users/me", uploads.me, name="upload-me"),
    path("upload_sets", uploads.upload_sets, name="upload-sets"),
    path("upload_sets/<str:unique_id>", uploads.upload_set, name="upload-set"),
    path("upload_sets/<str:unique_id>/files", uploads.files, name="upload-set-files"),
    path("upload_sets/<str:unique_id>/complete", uploads.complete, name="upload-set-complete"),
    path("transfers", uploads.transfers, name="upload-transfers"),
    path("transfers/<str:unique_id>", uploads.transfer, name="upload-transfer"),
    path("users/<str:user_id>/transfers", uploads.user_transfers, name="upload-user-transfers"),
    path("auth/tokens/generate", uploads.generate_token, name="upload-generate-token"),
]
