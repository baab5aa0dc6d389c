from django.urls import path

from mtp.api.api import api

urlpatterns = [path("", api.urls)]
