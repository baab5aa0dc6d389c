"""Transport types by name, kept in memory by each process."""

import threading
import time

from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save

from mtp.sequences.models import TransportType

# Transport types change only through the admin, so each process keeps them in memory: a create
# resolves "Walk" without a query. A change in this process clears the copy at once; other
# processes see it within TRANSPORT_TYPES_TTL seconds.
TRANSPORT_TYPES_TTL = 60.0
_transport_types_lock = threading.Lock()
_transport_types_cache: tuple[float, dict[str, TransportType]] | None = None


def transport_types_by_name() -> dict[str, TransportType]:
    """Every transport type keyed by its lowercased name, parents loaded."""
    global _transport_types_cache
    cached = _transport_types_cache
    now = time.monotonic()
    if cached is not None and now - cached[0] < TRANSPORT_TYPES_TTL:
        return cached[1]
    types = list(TransportType.objects.select_related("parent"))
    by_name = {transport_type.name.lower(): transport_type for transport_type in types}
    with _transport_types_lock:
        _transport_types_cache = (now, by_name)
    return by_name


def clear_transport_types_cache(**kwargs) -> None:
    global _transport_types_cache
    with _transport_types_lock:
        _transport_types_cache = None


def find_transport_type(name: str, *, child_only: bool) -> TransportType:
    """The transport type called ``name`` (any case), or ValidationError listing valid names."""
    found = transport_types_by_name().get(name.strip().lower())
    if found is not None and (found.parent_id is not None or not child_only):
        return found
    valid = sorted(
        transport_type.name
        for transport_type in transport_types_by_name().values()
        if transport_type.parent_id is not None or not child_only
    )
    if found is not None:
        message = (
            f"'{found.name}' is a group: pick one of its kinds. Valid names: {', '.join(valid)}."
        )
    else:
        message = f"Unknown transport type '{name}'. Valid names: {', '.join(valid)}."
    # No params: Django would format the message, which holds the user's text, with %.
    raise ValidationError(message, code="invalid_transport_type")


post_save.connect(clear_transport_types_cache, sender=TransportType)
post_delete.connect(clear_transport_types_cache, sender=TransportType)
