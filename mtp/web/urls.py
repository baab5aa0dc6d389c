from django.urls import path

from mtp.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("sequences/<uuid:unique_id>/", views.sequence_detail, name="sequence"),
]
