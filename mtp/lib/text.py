"""Text people write: the characters it may hold, and the same text on one line.

Control characters (C0 and C1, Unicode's category Cc: U+0000 to U+001F, U+007F to U+009F)
show nothing, or move the cursor and recolour a terminal (``\\x1b[31m``), and most of the C0
ones cannot be written in XML at all: a name holding one broke the GPX of every tour with
its route. No text takes them, but a text of several lines (a description) takes tabs and
line ends. Every path that writes text (API schemas, forms, models) calls this one rule.
"""

import re

from django.core.exceptions import ValidationError

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
# What a text of several lines may hold besides: browsers send a textarea's line ends as CR LF.
LINE_CONTROLS = frozenset("\t\n\r")


def control_character_problem(text: str, *, lines: bool = False) -> str | None:
    """Why ``text`` cannot be kept: it holds a control character (``lines``: other than a tab
    or a line end), or None."""
    for found in CONTROL_CHARACTERS.finditer(text):
        character = found.group()
        if not (lines and character in LINE_CONTROLS):
            allowed = " other than tabs and line ends" if lines else ""
            return f"Text may not hold control characters{allowed} (U+{ord(character):04X})."
    return None


def validate_line(value: str) -> None:
    """A validator for a text of one line (a name, a title): no control characters."""
    if problem := control_character_problem(value):
        raise ValidationError(problem, code="control_character")


def validate_lines(value: str) -> None:
    """A validator for a text of several lines (a description): no control characters but
    tabs and line ends."""
    if problem := control_character_problem(value, lines=True):
        raise ValidationError(problem, code="control_character")


def one_line(text: str) -> str:
    """``text`` on one line, for an e-mail subject or any other header: line ends (all of
    Unicode's), other control characters and runs of spaces become one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def kept_lines(text: str) -> str:
    """``text`` from elsewhere (another server's description) made keepable: control characters
    other than tabs and line ends become spaces."""
    return CONTROL_CHARACTERS.sub(
        lambda found: found.group() if found.group() in LINE_CONTROLS else " ", text
    )
