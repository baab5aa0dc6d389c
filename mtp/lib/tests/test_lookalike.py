"""Names that read like other names (mtp/lib/lookalike.py)."""

import pytest

from mtp.lib.lookalike import imitates, skeleton, visible_name_problem


@pytest.mark.parametrize(
    "name", ["M4p the P4ths", "Map th3 Pa7hs", "M4P TH3 P47H5", "The M4p-the-P4ths app"]
)
def test_digits_standing_for_letters_read_as_the_sites_name(name):
    assert imitates(name, "Map the Paths")


def test_a_verified_apps_name_with_digits_for_letters_reads_as_it():
    assert imitates("MTP D3sktop Upl0ad3r", "MTP Desktop Uploader")


def test_names_that_only_share_digits_do_not_read_alike():
    assert not imitates("Route 66 photos", "Map the Paths")
    assert not imitates("Paths 2024", "Map the Paths")


def test_usernames_keep_their_digits_apart():
    # Stored as username_skeleton: user2 and userz are different people.
    assert skeleton("user2") != skeleton("userz")


@pytest.mark.parametrize("name", ["Dana\x1b[31m", "Dana\x01", "Dana\x85", "Dana\nSmith"])
def test_a_name_with_control_characters_is_refused(name):
    assert "control characters" in visible_name_problem(name)
