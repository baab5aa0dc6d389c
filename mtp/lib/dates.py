"""Moments the databases can be asked about.

Python's datetimes reach from year 1 to 9999, and the databases are given moments in UTC: a
moment near either end with an offset (``9999-12-31T23:59:59-23:59``) has no UTC value, and
asking for one raises OverflowError deep in the database layer. Input is checked here first.
"""

from datetime import UTC, datetime


def in_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a moment without an offset is taken as UTC); ValueError when it has
    no UTC value within years 1 to 9999."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("The time is out of range once converted to UTC.") from None


def utc_or_calendar_end(moment: datetime) -> datetime:
    """``moment`` in UTC for a filter: one with no UTC value within years 1 to 9999 is before
    (year 1) or after (year 9999) every moment the databases hold."""
    try:
        return in_utc(moment)
    except ValueError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)
