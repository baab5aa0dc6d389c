"""Keeping photos becomes one kind of mtp.lib.jobs.Job: the lease's columns renamed (their
rows kept), and the states the job's: pending is queued (running while kept), done succeeded."""

from django.db import migrations, models
from django.db.models import Q

# The former states and the job's; a pending row with a lease was being run.
FORWARD = {"pending": "queued", "done": "succeeded"}
BACKWARD = {"queued": "pending", "running": "pending", "succeeded": "done"}


def to_job_states(apps, schema_editor) -> None:
    rows = apps.get_model("sequences", "keepphotosjob").objects
    rows.filter(status="pending").exclude(lease_owner="").update(status="running")
    for old, new in FORWARD.items():
        rows.filter(status=old).update(status=new)


def to_former_states(apps, schema_editor) -> None:
    rows = apps.get_model("sequences", "keepphotosjob").objects
    for new, old in BACKWARD.items():
        rows.filter(status=new).update(status=old)


class Migration(migrations.Migration):
    dependencies = [
        ("sequences", "0012_sequence_likes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="keepphotosjob", name="keepphotosjob_status_valid"),
        migrations.RenameField(model_name="keepphotosjob", old_name="lock", new_name="lease_owner"),
        migrations.RenameField(
            model_name="keepphotosjob", old_name="locked_until", new_name="lease_expires_at"
        ),
        migrations.AlterField(
            model_name="keepphotosjob",
            name="lease_owner",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="keepphotosjob",
            name="last_error",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="keepphotosjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=20,
            ),
        ),
        migrations.RunPython(to_job_states, to_former_states, elidable=False),
        migrations.AddConstraint(
            model_name="keepphotosjob",
            constraint=models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="keepphotosjob_status_valid",
            ),
        ),
    ]
