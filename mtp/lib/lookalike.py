"""Names that look like other names: what a name shows, without what a reader cannot see.

People read names; the server compares strings. A name can be made to read like another
(an app called "Map the Paths" in Cyrillic letters, a username with a zero-width space, a
display name reversed by a right-to-left override). ``skeleton`` maps a name to what it looks
like, so that two names that look alike have the same skeleton:

- NFKD (full-width and styled letters become plain ones, accents come apart), then accents,
  invisible characters (format characters, fillers, joiners), spaces and punctuation are
  dropped;
- letters of the Cyrillic and Greek alphabets that look like Latin ones, and the digits 0
  and 1, become those Latin letters; then everything is case-folded.

``imitates`` (a name against the site's or a verified application's) also reads the other
digits as the letters they stand for ("M4p the P4ths"). Usernames' skeletons, which are
stored, keep them: user2 and userz are different people.

The table covers the look-alikes of common Latin letters in those alphabets, not all of
Unicode's confusables (UTS #39).
"""

import unicodedata

from mtp.lib.text import control_character_problem

# Bidirectional controls: embeddings, overrides, isolates and marks, which reorder what
# follows them on screen.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Characters that show nothing but are letters or symbols, not format characters.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")

LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "А": "a", "в": "b", "В": "b", "с": "c", "С": "c", "ԁ": "d", "е": "e",
        "Е": "e", "ё": "e", "Ё": "e", "һ": "h", "Н": "h", "і": "i", "І": "i", "ї": "i",
        "Ї": "i", "ј": "j", "Ј": "j", "к": "k", "К": "k", "ӏ": "l", "Ӏ": "l", "м": "m",
        "М": "m", "п": "n", "о": "o", "О": "o", "р": "p", "Р": "p", "ԛ": "q", "Ԛ": "q",
        "ѕ": "s", "Ѕ": "s", "т": "t", "Т": "t", "ц": "u", "ѵ": "v", "Ѵ": "v", "ԝ": "w",
        "Ԝ": "w", "х": "x", "Х": "x", "у": "y", "У": "y", "Ү": "y", "ү": "y", "г": "r",
        # Greek
        "α": "a", "Α": "a", "β": "b", "Β": "b", "ϲ": "c", "Ϲ": "c", "ε": "e", "Ε": "e",
        "Η": "h", "ι": "i", "Ι": "i", "ϳ": "j", "κ": "k", "Κ": "k", "Μ": "m", "η": "n",
        "Ν": "n", "ο": "o", "Ο": "o", "ρ": "p", "Ρ": "p", "τ": "t", "Τ": "t", "υ": "u",
        "ν": "v", "ω": "w", "χ": "x", "Χ": "x", "γ": "y", "Υ": "y", "Ζ": "z",
        # Digits and letters that pass for others
        "0": "o", "1": "l", "ı": "i", "ɑ": "a", "ɡ": "g", "ℓ": "l",
    }
)  # fmt: skip


# Digits written for letters, folded when a name is compared with one it may pass for.
DIGITS_FOR_LETTERS = str.maketrans(
    {"2": "z", "3": "e", "4": "a", "5": "s", "6": "b", "7": "t", "8": "b", "9": "g"}
)


def _invisible(character: str) -> bool:
    category = unicodedata.category(character)
    return (
        category in ("Cf", "Cc", "Mn", "Me", "Zs", "Zl", "Zp")
        or character in BLANK_LETTERS
        or character.isspace()
    )


def skeleton(name: str) -> str:
    """What ``name`` looks like: equal for names that look alike (see the module doc)."""
    decomposed = unicodedata.normalize("NFKD", name)
    visible = "".join(character for character in decomposed if not _invisible(character))
    plain = visible.translate(LOOKALIKES).casefold().translate(LOOKALIKES)
    return "".join(character for character in plain if character.isalnum())


def has_bidi_controls(name: str) -> bool:
    return any(character in BIDI_CONTROLS for character in name)


def is_blank(name: str) -> bool:
    """Whether ``name`` shows nothing: only spaces and invisible characters."""
    return all(_invisible(character) for character in unicodedata.normalize("NFKC", name))


def scripts(name: str) -> set[str]:
    """The scripts of the letters of ``name`` (LATIN, CYRILLIC, GREEK...), by their names."""
    found = set()
    for character in unicodedata.normalize("NFKC", name):
        if character.isalpha():
            found.add(unicodedata.name(character, "UNKNOWN").split(" ", 1)[0])
    return found


def imitates(name: str, model: str) -> bool:
    """Whether ``name`` reads as ``model`` or contains it (``model`` of 3 letters or more)."""
    target = skeleton(model).translate(DIGITS_FOR_LETTERS)
    return len(target) >= 3 and target in skeleton(name).translate(DIGITS_FOR_LETTERS)


def visible_name_problem(name: str) -> str | None:
    """Why a name would not show as what it is (nothing visible, text reordered by
    bidirectional controls, or control characters), or None."""
    if problem := control_character_problem(name):
        return problem
    if has_bidi_controls(name):
        return "A name cannot hold characters that reverse the text around them."
    if name and is_blank(name):
        return "A name needs visible characters."
    return None
