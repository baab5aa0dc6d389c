import pytest
from django.utils import timezone

from mtp.sequences.models import Sequence, TransportType

pytestmark = pytest.mark.django_db


def make_sequence(owner, name, status="draft", **fields):
    walk = TransportType.objects.get(name="Walk")
    published_at = timezone.now() if status == "published" else None
    return Sequence.objects.create(
        owner=owner,
        name=name,
        transport_type=walk,
        status=status,
        published_at=published_at,
        **fields,
    )


def test_a_profile_lists_only_published_sequences_with_their_totals(client, owner):
    make_sequence(owner, "Coast path", "published", distance_m=1500, image_count=40)
    make_sequence(owner, "River walk", "published", distance_m=500, image_count=10)
    make_sequence(owner, "Secret draft")
    make_sequence(owner, "Broken import", "failed")
    response = client.get("/accounts/users/olivia/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Coast path" in page and "River walk" in page
    assert "Secret draft" not in page and "Broken import" not in page
    assert response.context["totals"] == {"count": 2, "distance_m": 2000, "images": 50}


def test_an_unknown_or_inactive_user_has_no_profile(client, owner):
    assert client.get("/accounts/users/nobody/").status_code == 404
    owner.is_active = False
    owner.save()
    assert client.get("/accounts/users/olivia/").status_code == 404


def test_a_profile_is_found_whatever_the_case_of_the_username(client, owner):
    make_sequence(owner, "Coast path", "published")
    for spelling in ("Olivia", "OLIVIA", "olivia"):
        response = client.get(f"/accounts/users/{spelling}/")
        assert response.status_code == 200
        assert "Coast path" in response.content.decode()


def test_a_profile_shows_the_persons_ranks(client, owner, other_user):
    make_sequence(owner, "Coast path", "published", distance_m=1500, image_count=40)
    make_sequence(other_user, "Long ride", "published", distance_m=9000, image_count=10)
    make_sequence(other_user, "Short ride", "published", distance_m=100, image_count=10)
    page = client.get("/accounts/users/olivia/").content.decode()
    assert '#1</span> <span class="label"><a href="/leaderboard/?metric=images">by photos' in page
    assert (
        '#2</span> <span class="label"><a href="/leaderboard/?metric=distance">by distance' in page
    )
    assert (
        '#2</span> <span class="label"><a href="/leaderboard/?metric=sequences">by sequences'
        in page
    )


def test_someone_with_nothing_published_has_no_ranks(client, owner):
    make_sequence(owner, "Secret draft")
    assert "<h2>Ranks</h2>" not in client.get("/accounts/users/olivia/").content.decode()
