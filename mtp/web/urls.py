from django.urls import path

from mtp.web import challenges, guidebooks, leaderboards, photos, tours, uploads, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("explore/results", views.explore_results, name="explore-results"),
    path("sequences/<uuid:unique_id>/", views.sequence_detail, name="sequence"),
    path("leaderboard/", leaderboards.leaderboard, name="leaderboard"),
    # Photo likes
    path("leaderboard/photos/", photos.photo_leaderboard, name="photo-leaderboard"),
    path("photos/", photos.photo_list, name="photos"),
    path("photos/<str:key>/like/", photos.like_photo, name="photo-like"),
    path("photos/<str:key>/nearby.json", photos.photo_nearby, name="photo-nearby"),
    path("challenges/", challenges.challenge_list, name="challenges"),
    path("challenges/new/", challenges.challenge_new, name="challenge-new"),
    path("challenges/<uuid:unique_id>/", challenges.challenge_detail, name="challenge"),
    # Tours and likes
    path("tours/", tours.tour_list, name="tours"),
    path("tours/new/", tours.tour_new, name="tour-new"),
    path("tours/add/", tours.tour_add, name="tour-add"),
    path("tours/<uuid:unique_id>/", tours.tour_detail, name="tour"),
    path("tours/<uuid:unique_id>/edit/", tours.tour_edit, name="tour-edit"),
    path("tours/<uuid:unique_id>/delete/", tours.tour_delete, name="tour-delete"),
    path("tours/<uuid:unique_id>/like/", tours.like_tour, name="tour-like"),
    path("sequences/<uuid:unique_id>/like/", views.like_sequence, name="sequence-like"),
    # (end of tours)
    # Guidebooks
    path("guidebooks/", guidebooks.guidebook_list, name="guidebooks"),
    path("guidebooks/new/", guidebooks.guidebook_new, name="guidebook-new"),
    path("guidebooks/<uuid:unique_id>/", guidebooks.guidebook_detail, name="guidebook"),
    path("guidebooks/<uuid:unique_id>/edit/", guidebooks.guidebook_edit, name="guidebook-edit"),
    path(
        "guidebooks/<uuid:unique_id>/scenes/<uuid:scene_id>/edit/",
        guidebooks.scene_edit,
        name="scene-edit",
    ),
    # End of guidebooks
    # Uploading photos from the website (the page and the calls its script makes)
    path("upload/", uploads.upload_page, name="upload"),
    path("upload/sets/", uploads.upload_sets, name="upload-sets"),
    path("upload/sets/<uuid:unique_id>/", uploads.upload_set, name="upload-set"),
    path("upload/sets/<uuid:unique_id>/files/", uploads.upload_set_files, name="upload-set-files"),
    path(
        "upload/sets/<uuid:unique_id>/complete/",
        uploads.upload_set_complete,
        name="upload-set-complete",
    ),
    path("my/", views.my_sequences, name="my"),
    path("my/progress.json", views.my_progress, name="my-progress"),
    path("my/sequences/import/", views.sequence_import_new, name="import-new"),
    path("my/sequences/<uuid:unique_id>/edit/", views.sequence_edit, name="edit"),
    path("my/sequences/<uuid:unique_id>/delete/", views.sequence_delete, name="delete"),
    path("my/sequences/<uuid:unique_id>/import/", views.sequence_import, name="import"),
]
