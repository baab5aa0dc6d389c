"""panoramax-cli's download reads the STAC API: a collection's photos, and a person's
collections, with the client's own code (its HTTP calls answered by this server in-process).

panoramax-cli 1.4.1 pins geopic-tag-reader 1.10.0, which pins timezonefinder 6.5.9 and so
cffi < 2, while cryptography 50 needs cffi >= 2: pip cannot install it with the test extras.
These tests run where it is installed beside them (``pip install panoramax-cli==1.4.1``).
"""

from collections.abc import Iterator

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

pytest.importorskip("panoramax_cli")

from panoramax_cli.download import Quality, UserCollection, download_collection  # noqa: E402
from panoramax_cli.http import Client  # noqa: E402
from panoramax_cli.model import FileName, Panoramax  # noqa: E402

from mtp.sequences.models import Image
from testing.builders import sequence_along

JPEG = b"\xff\xd8\xff\xe0 a small photo \xff\xd9"


@pytest.fixture
def panoramax(settings) -> Iterator[tuple[Panoramax, Client]]:
    """The client's HTTP calls answered by this server's WSGI application, in the test's
    transaction (which, as Django's test client does, no request may close)."""
    settings.SITE_URL = "http://testserver"
    client = Client(transport=httpx.WSGITransport(app=WSGIHandler()))
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Panoramax(url=settings.SITE_URL), client
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_panoramax_cli_downloads_a_collections_photos(owner, panoramax, tmp_path):
    instance, client = panoramax
    walk = sequence_along(
        owner, [(6.14, 46.2), (6.141, 46.201), (6.142, 46.202)], name="Lake walk, June"
    )
    keys = list(Image.objects.filter(sequence=walk).values_list("mapillary_key", flat=True))
    for key in keys:
        # The photos' kept copies: what the photo links serve without Mapillary.
        name = default_storage.save(f"photos/test/{key}.jpg", ContentFile(JPEG + key.encode()))
        Image.objects.filter(mapillary_key=key).update(kept_copy=name)

    folder = download_collection(
        str(walk.unique_id),
        instance,
        client=client,
        file_name=FileName.original_name,
        path=tmp_path,
        quality=Quality.thumb,
    )

    assert folder == tmp_path / "Lake_walk__June"
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{key}.jpg" for key in keys)
    for key in keys:
        assert (folder / f"{key}.jpg").read_bytes() == JPEG + key.encode()


def test_panoramax_cli_finds_a_persons_collections(owner, other_user, panoramax):
    instance, client = panoramax
    first = sequence_along(owner, [(6.14, 46.2), (6.141, 46.201)], name="First")
    second = sequence_along(owner, [(7.14, 46.2), (7.141, 46.201)], name="Second")
    sequence_along(other_user, [(8.14, 46.2)], name="Someone else's")
    sequence_along(owner, [(9.14, 46.2)], name="A draft", status="draft")

    found = UserCollection(client, instance, "olivia")

    assert found.nb_collections == 2
    assert found.user_name == "olivia"
    assert sorted(found) == sorted([str(first.unique_id), str(second.unique_id)])
