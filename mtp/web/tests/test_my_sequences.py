"""My sequences: the owner's sequences by state, with what can be done about each."""

import re

import pytest

from mtp.imports.models import ImportJob
from testing.builders import draft, failed_import, publish


def section(html: str, title: str) -> str:
    """The HTML of the section headed ``title`` (up to the next section)."""
    match = re.search(rf">{title}</h2>(.*?)(</section>)", html, re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


@pytest.mark.django_db
def test_it_needs_a_log_in(client):
    response = client.get("/my/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/my/")


@pytest.mark.django_db
def test_sequences_are_grouped_by_state_and_only_the_owners(owner_client, owner, other_user):
    publish(owner, "Published walk")
    draft(owner, "Draft walk")
    failed_import(owner, "Failed walk", error="The token was refused.")
    importing = draft(owner, "Importing walk", status="importing")
    ImportJob.objects.create(
        sequence=importing,
        mapillary_sequence_key="k2",
        status="running",
        progress_done=5,
        progress_total=20,
    )
    publish(other_user, "Oscar's walk")
    html = owner_client.get("/my/").content.decode()
    assert "Published walk" in section(html, "Published")
    assert "Draft walk" in section(html, "Drafts")
    assert "Failed walk" in section(html, "Failed imports")
    running = section(html, "Importing")
    assert "Importing walk" in running
    assert 'max="20" value="5"' in running and "5 of 20 photos" in running
    assert "Oscar" not in html


@pytest.mark.django_db
def test_a_failed_import_shows_its_reason_and_a_retry_form_with_the_key_filled_in(
    owner_client, owner
):
    sequence = failed_import(owner, error="Mapillary says the token expired.")
    failed = section(owner_client.get("/my/").content.decode(), "Failed imports")
    assert "Mapillary says the token expired." in failed
    assert f'action="/my/sequences/{sequence.unique_id}/import/"' in failed
    assert 'name="mapillary_sequence_key"' in failed and 'value="failedkey1"' in failed
    assert 'type="password" name="mapillary_token"' in failed
    assert "Retry" in failed


@pytest.mark.django_db
def test_every_row_links_to_edit_and_delete_naming_the_sequence(owner_client, owner):
    sequence = publish(owner, "River walk")
    html = owner_client.get("/my/").content.decode()
    assert f'href="/my/sequences/{sequence.unique_id}/edit/"' in html
    assert f'href="/my/sequences/{sequence.unique_id}/delete/"' in html
    assert 'Delete<span class="visually-hidden"> River walk</span>' in html


@pytest.mark.django_db
def test_someone_with_nothing_yet_is_told_how_sequences_arrive(owner_client):
    html = owner_client.get("/my/").content.decode()
    assert "No sequences yet" in html
    assert "MTP Desktop Uploader" in html


@pytest.mark.django_db
def test_what_the_last_import_left_out_is_told_on_a_published_sequence(owner_client, owner):
    sequence = publish(owner, "Mostly there")
    ImportJob.objects.create(
        sequence=sequence,
        mapillary_sequence_key="k9",
        status="succeeded",
        note="2 images were left out: another Mapillary user made them.",
    )
    published = section(owner_client.get("/my/").content.decode(), "Published")
    assert "2 images were left out: another Mapillary user made them." in published
