"""Cursor pagination: pages that stay correct while rows are added, at the same cost on any page.

A cursor is the sort key and id of the last row of a page, base64url-encoded JSON. The next
page starts strictly after it in (key, id) order.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from mtp.api.errors import ApiError
from mtp.lib.dates import in_utc

# What a cursor may not be: anything a page of ours could not have written. json.loads raises
# RecursionError on deep nesting and OverflowError comes from numbers and dates out of range.
BAD_CURSOR = (ValueError, TypeError, OverflowError, RecursionError, binascii.Error)
# Ids and positions are 64-bit integers in the databases.
INT_RANGE = range(-(2**63), 2**63)


def _bad_cursor() -> ApiError:
    return ApiError(
        400, "The cursor is not valid: use the next link of the page before, unchanged."
    )


@dataclass(frozen=True)
class Ordering:
    """Rows in ``field`` order (descending unless told), ties broken by id the same way.

    ``nullable``: the field may be empty; such rows come last.
    """

    name: str
    field: str
    descending: bool = True
    nullable: bool = False
    kind: type = float

    def order_by(self) -> list:
        if self.nullable:
            key = (
                F(self.field).desc(nulls_last=True)
                if self.descending
                else F(self.field).asc(nulls_last=True)
            )
        else:
            key = F(self.field).desc() if self.descending else F(self.field).asc()
        return [key, F("id").desc() if self.descending else F("id").asc()]

    def after(self, value: Any, pk: int) -> Q:
        """Rows strictly after (value, pk) in this order."""
        beyond = "lt" if self.descending else "gt"
        if value is None:
            return Q(**{f"{self.field}__isnull": True, f"id__{beyond}": pk})
        condition = Q(**{f"{self.field}__{beyond}": value}) | Q(
            **{self.field: value, f"id__{beyond}": pk}
        )
        if self.nullable:
            condition |= Q(**{f"{self.field}__isnull": True})
        return condition

    def encode(self, row: Any) -> str:
        value = getattr(row, self.field)
        if isinstance(value, datetime):
            value = value.isoformat()
        payload = json.dumps([self.name, value, row.pk], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, int]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            name, value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if name != self.name or not isinstance(pk, int) or isinstance(pk, bool):
                raise ValueError("another ordering")
            if not 0 <= pk < 2**63:
                raise ValueError("not an id")
            if value is not None:
                value = self._value(value)
        except BAD_CURSOR:
            raise _bad_cursor() from None
        return value, pk

    def _value(self, value: Any) -> Any:
        """A cursor's sort key as the database compares it; ValueError when out of range."""
        if self.kind is datetime:
            return in_utc(datetime.fromisoformat(value))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("not a number")
        value = self.kind(value)
        if self.kind is int and value not in INT_RANGE:
            raise ValueError("out of range")
        if self.kind is float and not math.isfinite(value):
            raise ValueError("not finite")
        return value


def page(
    queryset: QuerySet, ordering: Ordering, *, limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """One page of ``queryset`` and the cursor of the next (None on the last page)."""
    queryset = queryset.order_by(*ordering.order_by())
    if cursor:
        value, pk = ordering.decode(cursor)
        queryset = queryset.filter(ordering.after(value, pk))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, ordering.encode(rows[-1])


def next_link(request: HttpRequest, cursor: str | None) -> str | None:
    """The absolute URL of the next page: this request's query with the new cursor."""
    if cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"{settings.SITE_URL}{request.path}?{query.urlencode()}"


def with_next_link(response: HttpResponse, link: str | None) -> HttpResponse:
    """``response`` with its next page also in a ``Link`` header (RFC 8288), as in ``next``."""
    if link:
        response["Link"] = f'<{link}>; rel="next"'
    return response


def offset_page(
    queryset: QuerySet, *, name: str, limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """A page by position, for short lists whose order has no unique key (counts)."""
    offset = 0
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            cursor_name, offset = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if cursor_name != name or not isinstance(offset, int) or not 0 <= offset < 2**31:
                raise ValueError("another list")
        except BAD_CURSOR:
            raise _bad_cursor() from None
    rows = list(queryset[offset : offset + limit + 1])
    if len(rows) <= limit:
        return rows, None
    payload = json.dumps([name, offset + limit], separators=(",", ":"))
    return rows[:limit], base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
