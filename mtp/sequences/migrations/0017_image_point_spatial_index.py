"""On SpatiaLite, the photos' R*Tree maintained again.

SQLite cannot alter a column in place, so Django makes a table anew for some changes (the
photo's ``key``, 0015): the R*Tree of its point was left behind, empty and no longer kept up
to date (``spatial_index_enabled`` 0). It is made again, filled from the photos, with the
triggers that keep it; ``mtp.sequences.nearby`` reads it. PostgreSQL's GiST index was never
lost: nothing to do there.
"""

from django.db import migrations

TABLE, COLUMN = "sequences_image", "point"


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT spatial_index_enabled FROM geometry_columns"
            " WHERE f_table_name = %s AND f_geometry_column = %s",
            [TABLE, COLUMN],
        )
        row = cursor.fetchone()
        if row is not None and row[0] == 1:
            return
        cursor.execute(f"DROP TABLE IF EXISTS idx_{TABLE}_{COLUMN}")
        cursor.execute("SELECT CreateSpatialIndex(%s, %s)", [TABLE, COLUMN])


class Migration(migrations.Migration):
    dependencies = [("sequences", "0016_image_likes")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
