"""GPX of sequences and tours is well-formed XML whatever their rows hold: rows written before
text was checked may hold control characters, and another person's route is in your tour."""

import xml.etree.ElementTree as ET

from mtp.sequences.models import Sequence
from mtp.tours.models import Tour, set_tour_sequences
from testing.builders import API, make_sequence

GPX = "application/gpx+xml"
NS = {"gpx": "http://www.topografix.com/GPX/1/1"}
NAME = "Lake\x01 walk\x1b[31m \x7f\x85"
DESCRIPTION = "Line one\x0b\tand\r\nline two\x00"


def test_a_sequences_gpx_is_well_formed_whatever_its_name_holds(client, app, owner):
    sequence = make_sequence(owner)
    # As kept before control characters were refused (PostgreSQL holds no NUL: left out there).
    Sequence.objects.filter(pk=sequence.pk).update(
        name=NAME, description=DESCRIPTION.replace("\x00", "")
    )
    response = client.get(
        f"{API}/sequence/{sequence.unique_id}?client_id={app.client_id}", HTTP_ACCEPT=GPX
    )
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.find("gpx:trk/gpx:name", NS).text == "Lake walk[31m \x7f\x85"
    assert root.find("gpx:trk/gpx:desc", NS).text == "Line one\tand\nline two"
    assert len(root.findall(".//gpx:trkpt", NS)) == sequence.images.count()


def test_a_tours_gpx_is_well_formed_when_another_persons_route_holds_control_characters(
    client, app, owner, other_user
):
    mine = make_sequence(owner, name="Old town")
    theirs = make_sequence(other_user, name="Parks")
    tour = Tour.objects.create(owner=owner, name="Geneva\x02 in a day", description="A\x0cB")
    set_tour_sequences(tour, [mine.pk, theirs.pk])
    Sequence.objects.filter(pk=theirs.pk).update(name=NAME)
    response = client.get(
        f"{API}/tours/{tour.unique_id}?client_id={app.client_id}", HTTP_ACCEPT=GPX
    )
    assert response.status_code == 200
    root = ET.fromstring(b"".join(response.streaming_content))  # noqa: S314 (our own response)
    assert root.find("gpx:metadata/gpx:name", NS).text == "Geneva in a day"
    assert root.find("gpx:metadata/gpx:desc", NS).text == "AB"
    names = [track.find("gpx:name", NS).text for track in root.findall("gpx:trk", NS)]
    assert names == ["Old town", "Lake walk[31m \x7f\x85"]
