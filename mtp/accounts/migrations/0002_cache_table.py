"""The database cache's table (rate limit counters, the tile cache's generation), made by the
migrations so that ``mtp migrate`` alone prepares a database. With Redis as the cache
(``REDIS_URL``) it makes nothing; ``mtp serve`` makes it again if it is ever missing."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
