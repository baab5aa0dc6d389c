"""A local stand-in for the Mapillary Graph API v4 (see ``server``), for tests and offline demos."""

from testing.fake_mapillary.server import (
    APPLICATION_TOKEN,
    FAULTS,
    OWNER,
    RECORDED_SEQUENCE,
    STRANGER,
    FakeMapillary,
    Fault,
    GeneratedSequence,
    Persona,
)

# The recorded sequence's image ids, in capture order.
RECORDED_IMAGE_IDS = [
    "148137757289079",
    "311799370533334",
    "338231874314914",
    "4235112816526838",
    "464249047982277",
    "308609047601518",
    "135511895288847",
    "311681117131457",
]

__all__ = [
    "APPLICATION_TOKEN",
    "FAULTS",
    "OWNER",
    "RECORDED_IMAGE_IDS",
    "RECORDED_SEQUENCE",
    "STRANGER",
    "FakeMapillary",
    "Fault",
    "GeneratedSequence",
    "Persona",
]
