"""The admin's application pages: DOT's, with is_active and the extra flows."""

from django.test import Client


def test_staff_list_and_edit_applications_in_the_admin(app, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/developers/application/")
    assert listing.status_code == 200
    assert "MTP Desktop Uploader" in listing.content.decode()
    page = client.get(f"/admin/developers/application/{app.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="is_active"' in html and 'name="extra_grant_types"' in html
