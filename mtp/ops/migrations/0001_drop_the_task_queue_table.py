"""Jobs are rows of their own (imports, webhook deliveries, kept copies of photos): the table of
the task queue that mirrored them (django-tasks-db) is no longer used. What it held was a copy
of what the job rows say, so nothing is lost."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_remove_importjob_task_id"),
        ("sequences", "0011_remove_keepphotosjob_task_id"),
        ("webhooks", "0002_remove_webhookdelivery_task_id"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP TABLE IF EXISTS django_tasks_database_dbtaskresult",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
