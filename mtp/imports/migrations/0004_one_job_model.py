"""Import jobs become one kind of mtp.lib.jobs.Job: the failure message is the job's
``last_error`` (renamed, its rows kept), and a job has a due time like every other kind."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_remove_importjob_task_id"),
    ]

    operations = [
        migrations.RenameField(model_name="importjob", old_name="error", new_name="last_error"),
        migrations.AddField(
            model_name="importjob",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
