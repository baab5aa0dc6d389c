"""Names that read like other names (mtp/lib/lookalike.py)."""

import pytest

from mtp.lib.lookalike import visible_name_problem


@pytest.mark.parametrize("name", ["Dana\x1b[31m", "Dana\x01", "Dana\x85", "Dana\nSmith"])
def test_a_name_with_control_characters_is_refused(name):
    assert "control characters" in visible_name_problem(name)
