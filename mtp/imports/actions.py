"""Starting an import: the one way, for the API and the website alike.

``start_import`` takes plain values and the acting user, and applies every rule before the
job's row is written: the sequence is the user's; a call that would change nothing answers
with the import it repeats and counts nothing; a key this database already refuses is
refused; each call that changes something counts against the user's import limit
(``MTP_API_RATE_IMPORT`` per ``MTP_API_RATE_WINDOW`` seconds); Mapillary is asked whose the
token is, whether the sequence exists and whether it is the token owner's; then, under the
sequence's lock, the job is recorded (``mtp.imports.jobs.request_import``) and the links
given with it are set. Each refusal is an ``ImportRequestError`` whose ``http_status`` the API
answers with and whose ``message`` a page shows.
"""

import logging

from django.conf import settings
from django.db import transaction

from mtp.imports.jobs import (
    ImportRequestError,
    import_refusal,
    new_sequence_refusal,
    repeated_import,
    request_import,
)
from mtp.imports.models import ImportJob
from mtp.lib import ratelimit
from mtp.lib.ratelimit import Policy, Usage
from mtp.mapillary.client import (
    MapillaryError,
    check_key,
    check_sequence,
    check_token,
    get_me,
)
from mtp.mapillary.schemas import MapillaryUser
from mtp.sequences.actions import create_sequence, set_links
from mtp.sequences.models import Sequence, SequenceAlias

logger = logging.getLogger(__name__)

# Seconds each request to Mapillary may take while someone waits on the answer.
MAPILLARY_CHECK_TIMEOUT = 10


class SequenceNotFound(ImportRequestError):
    """Not the acting user's sequence (or gone): to them it does not exist."""

    http_status = 404

    def __init__(self) -> None:
        super().__init__("No sequence with this id.")


class InvalidImportField(ImportRequestError):
    """The key or the token is malformed; ``field`` names which ("seq_key" or "token")."""

    http_status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MapillarySaysNo(ImportRequestError):
    """Mapillary refused the token (400), could not look the sequence up (422), does not
    have it (422), or has it from another user (403); ``mapillary`` is what Mapillary said,
    when it said something."""

    def __init__(
        self, http_status: int, message: str, mapillary: dict[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.mapillary = mapillary


class TokenRefused(MapillarySaysNo):
    """Mapillary refused the token when asked whose it is (400)."""

    def __init__(self, message: str, mapillary: dict[str, object]) -> None:
        super().__init__(400, message, mapillary)


class MapillaryUnavailable(ImportRequestError):
    """Mapillary did not answer, and the caller asked to be told rather than accepted."""

    http_status = 503


class ImportLimitReached(ImportRequestError):
    """Too many import calls by this user in the window; ``usage`` says for how long."""

    http_status = 429

    def __init__(self, usage: Usage) -> None:
        super().__init__(f"Too many import calls. Try again in {usage.reset} seconds.")
        self.usage = usage


def import_policy() -> Policy:
    """The per-user limit on import calls that may ask Mapillary."""
    return Policy("api-import", settings.MTP_API_RATE_IMPORT, settings.MTP_API_RATE_WINDOW)


def start_import(
    acting_user,
    sequence: Sequence,
    *,
    mapillary_key: str | None,
    mapillary_token: str | None,
    refresh: bool = False,
    google_street_view: str | None = None,
    strava: str | None = None,
    wait_for_mapillary: bool = False,
) -> tuple[Sequence, ImportJob | None]:
    """Import the Mapillary sequence ``mapillary_key`` into the user's ``sequence`` (and set
    the links given; None leaves a link as it is); return the sequence the call ended on (the
    user's other sequence holding the key, when this one joined it) and the import it answers
    with (None when it sent no key).

    ``wait_for_mapillary``: a person waiting on a page is told when Mapillary does not answer
    (after one retry), to try again; an API client is accepted then, and the worker asks
    Mapillary itself once it answers. Raises an ``ImportRequestError``.
    """
    if sequence.owner_id != acting_user.pk:
        raise SequenceNotFound
    key = mapillary_key or ""
    repeated = repeated_import(sequence, key, force=refresh) if key else None
    links = {"google_street_view": google_street_view, "strava": strava}
    changes_links = any(
        value is not None and value != getattr(sequence, name) for name, value in links.items()
    )
    if not changes_links and (not key or repeated is not None):
        # Nothing to change: the uploader sends every pending call on each list load.
        return sequence, repeated
    refusal = import_refusal(sequence, key) if key else None
    if refusal is not None:
        raise refusal
    # Each call that changes something may ask Mapillary: limited per user.
    usage = ratelimit.hit(import_policy(), f"user:{acting_user.pk}")
    if usage.exceeded:
        raise ImportLimitReached(usage)
    token = mapillary_token or ""
    mapillary_user = None
    if key and repeated is None:
        mapillary_user = _ask_mapillary(key, token, wait=wait_for_mapillary)
    with transaction.atomic():
        sequence = _locked(acting_user, sequence)
        job = None
        if key:
            job, _created = request_import(
                sequence,
                mapillary_sequence_key=key,
                token=token,
                mapillary_user=mapillary_user,
                force=refresh,
            )
            if job.sequence_id != sequence.pk:
                # Joined to the user's sequence that holds the key: the links go there.
                sequence = Sequence.objects.select_for_update().get(pk=job.sequence_id)
        changed = set_links(sequence, google_street_view, strava)
        if changed:
            sequence.save(update_fields=[*changed, "updated_at"])
    return sequence, job


def import_new_sequence(
    acting_user,
    *,
    name: str,
    description: str,
    transport_type_id: int,
    tags: list[str],
    source: str,
    mapillary_key: str,
    mapillary_token: str,
) -> tuple[Sequence, ImportJob]:
    """A new sequence of the user's, imported from the Mapillary sequence ``mapillary_key``
    in one step (the website's *Import from Mapillary*); return the sequence the import went
    into and its job.

    ``start_import``'s rules come first, while nothing is written: a key another person's
    sequence holds, the user's import limit, and Mapillary (whose the token is, whether the
    sequence is theirs; a person is waiting, so Mapillary not answering is a refusal). Then
    the draft is created (``create_sequence``) and its import recorded (``request_import``)
    in one transaction: a refusal at any step leaves no sequence behind. Raises an
    ``ImportRequestError``.
    """
    key = mapillary_key.strip()
    refusal = new_sequence_refusal(acting_user.pk, key)
    if refusal is not None:
        raise refusal
    usage = ratelimit.hit(import_policy(), f"user:{acting_user.pk}")
    if usage.exceeded:
        raise ImportLimitReached(usage)
    mapillary_user = _ask_mapillary(key, mapillary_token, wait=True)
    with transaction.atomic():
        sequence = create_sequence(
            acting_user,
            name=name,
            description=description,
            transport_type_id=transport_type_id,
            source=source,
            tags=tags,
        )
        job, _created = request_import(
            sequence,
            mapillary_sequence_key=key,
            token=mapillary_token,
            mapillary_user=mapillary_user,
        )
        if job.sequence_id != sequence.pk:
            # The user's own draft of the same Mapillary sequence took this one in.
            sequence = Sequence.objects.get(pk=job.sequence_id)
    return sequence, job


def _locked(acting_user, sequence: Sequence) -> Sequence:
    """The user's sequence, locked; the one it was merged into meanwhile, if it was."""
    mine = Sequence.objects.select_for_update().filter(owner_id=acting_user.pk)
    locked = mine.filter(pk=sequence.pk).first()
    if locked is None:
        alias = SequenceAlias.objects.filter(unique_id=sequence.unique_id).first()
        locked = mine.filter(pk=alias.sequence_id).first() if alias is not None else None
    if locked is None:
        raise SequenceNotFound
    return locked


def _ask_mapillary(key: str, token: str, *, wait: bool) -> MapillaryUser | None:
    """Who Mapillary says the token belongs to, once the sequence is known to exist and be
    theirs; None when Mapillary did not answer in time and ``wait`` is not asked (the worker
    asks again)."""
    try:
        check_key(key)
    except MapillaryError as error:
        raise InvalidImportField("seq_key", error.message) from None
    try:
        check_token(token)
    except MapillaryError as error:
        raise InvalidImportField("token", error.message) from None
    try:
        user = get_me(token, retries=1 if wait else 0, timeout=MAPILLARY_CHECK_TIMEOUT)
    except MapillaryError as error:
        if error.permanent:
            raise TokenRefused(error.message, _said(error)) from None
        if wait:
            raise MapillaryUnavailable(
                f"Mapillary did not answer ({error.message}). Try again in a minute."
            ) from None
        logger.info("import accepted while Mapillary is unavailable: %s", error.message)
        return None
    try:
        found = check_sequence(token, key, timeout=MAPILLARY_CHECK_TIMEOUT)
    except MapillaryError as error:
        raise MapillarySaysNo(422, error.message, _said(error)) from None
    if found.exists is False:
        raise MapillarySaysNo(
            422,
            f"Mapillary has no images for sequence {key}. If it was uploaded recently, send "
            "this again once Mapillary has processed it.",
        )
    if found.creator is not None and found.creator.id != user.id:
        uploader = found.creator.username or "another Mapillary user"
        raise MapillarySaysNo(
            403,
            f"Mapillary sequence {key} was uploaded by {uploader}, not by "
            f"{user.username or 'the owner of this token'}. You can import only your own "
            "sequences.",
        )
    return user


def _said(error: MapillaryError) -> dict[str, object]:
    return {"status": error.status, "code": error.code}
