"""Explore on a new instance: its staff see what is left to set up (the Mapillary token, a
worker, e-mail, a first sequence) until it is done; a new account sees where to start."""

import pytest
from django.core.cache import cache

from mtp.lib import jobs
from testing.builders import make_sequence

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, owner):
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    client.force_login(owner)
    return owner


def checklist(client) -> str:
    page = client.get("/").content.decode()
    start = page.find('id="staff-checklist"')
    return page[start : page.find("</section>", start)] if start >= 0 else ""


def test_staff_see_each_step_left_to_do(client, staff, settings):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    settings.EMAIL_HOST = ""
    cache.delete(jobs.WORKER_SEEN_KEY)
    shown = checklist(client)
    assert "Setting up this instance" in shown
    assert "MAPILLARY_CLIENT_TOKEN is not set" in shown
    assert "No worker seen in the last 10 minutes" in shown
    assert "EMAIL_HOST is not set" in shown
    assert shown.count("To do:") == 4


def test_a_running_worker_and_a_first_sequence_are_ticked(client, staff, settings, other_user):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    jobs.note_worker_alive()
    make_sequence(other_user, name="First")
    shown = checklist(client)
    assert "Running (last seen" in shown
    assert "Published: it shows on the map." in shown
    assert shown.count("To do:") == 2  # the token and e-mail
    cache.delete(jobs.WORKER_SEEN_KEY)


def test_the_checklist_goes_once_everything_is_set(client, staff, settings, other_user):
    settings.MAPILLARY_CLIENT_TOKEN = "MLY|123|abcdef0123456789"
    settings.EMAIL_HOST = "smtp.example.org"
    jobs.note_worker_alive()
    make_sequence(other_user, name="First")
    assert checklist(client) == ""
    cache.delete(jobs.WORKER_SEEN_KEY)


def test_people_who_are_not_staff_never_see_it(client, other_user, settings):
    settings.MAPILLARY_CLIENT_TOKEN = ""
    client.force_login(other_user)
    assert checklist(client) == ""
    assert 'id="staff-checklist"' not in client.get("/").content.decode()


def test_a_new_account_sees_where_to_start_until_it_has_a_sequence(client, other_user):
    client.force_login(other_user)
    page = client.get("/").content.decode()
    assert "Share your first sequence" in page
    for link in ("/upload/", "/my/sequences/import/", "/challenges/"):
        assert f'href="{link}"' in page
    make_sequence(other_user, name="Mine", status="draft")
    assert "Share your first sequence" not in client.get("/").content.decode()


def test_anonymous_visitors_see_neither(client):
    page = client.get("/").content.decode()
    assert "Share your first sequence" not in page and "Setting up this instance" not in page
