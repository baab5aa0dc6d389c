"""The characters a text may hold, and a text on one line (mtp/lib/text.py)."""

import pytest

from mtp.lib.text import control_character_problem, one_line


@pytest.mark.parametrize("character", [chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]])
def test_a_line_holds_no_control_character(character):
    assert f"U+{ord(character):04X}" in control_character_problem(f"a{character}b")


@pytest.mark.parametrize("character", ["\t", "\n", "\r"])
def test_lines_hold_tabs_and_line_ends_only(character):
    assert control_character_problem(f"a{character}b", lines=True) is None
    assert control_character_problem(f"a{character}\x0bb", lines=True) is not None


@pytest.mark.parametrize("text", ["Lake walk", "Zürich – Genève 🚲", "a\u00a0b", "\u200d"])
def test_other_characters_are_text(text):
    assert control_character_problem(text) is None


def test_one_line_turns_every_line_end_and_control_into_one_space():
    text = " Lake\r\n\x0b\x0c\x1c\x85\u2028\u2029walk\x1b[31m  now "
    assert one_line(text) == "Lake walk [31m now"
