"""Store every sequence's Strava activity in one form: its id as digits ("1234567890").

The API always stored the id; the website's form stored what was typed (an id, a link, or
anything else). Each value is read by the rule that reads new ones
(mtp.sequences.external_links.parse_strava): an id or a strava.com activity link becomes the id. A value
that names no activity (not a number, another site, a Strava page that is not an activity) is
cleared, as the API documents ``strava`` as an activity and the page never linked most of them;
each one cleared is logged as a warning with its sequence's id, so nothing goes unnoticed.

Reversing keeps the ids: older code reads them too.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import migrations

from mtp.sequences.external_links import parse_strava

logger = logging.getLogger("mtp.sequences.migrations")

BATCH = 500


def normal_form(value: str) -> str:
    """The stored form of ``value``: the activity id, or "" when it names no activity."""
    try:
        return parse_strava(value)
    except ValidationError:
        return ""


def normalise(apps, schema_editor) -> None:
    Sequence = apps.get_model("sequences", "Sequence")
    rows = Sequence.objects.using(schema_editor.connection.alias).exclude(strava="")
    changed = []
    for sequence in rows.only("pk", "unique_id", "strava").order_by("pk").iterator():
        stored = normal_form(sequence.strava)
        if stored == sequence.strava:
            continue
        if not stored:
            logger.warning(
                "Sequence %s: Strava value %r names no activity; cleared.",
                sequence.unique_id,
                sequence.strava,
            )
        sequence.strava = stored
        changed.append(sequence)
    # Only this column: updated_at says when the sequence was last changed, which this is not.
    Sequence.objects.using(schema_editor.connection.alias).bulk_update(
        changed, ["strava"], batch_size=BATCH
    )


class Migration(migrations.Migration):
    dependencies = [("sequences", "0009_published_totals_index")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
