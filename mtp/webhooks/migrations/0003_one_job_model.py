"""Webhook deliveries become one kind of mtp.lib.jobs.Job: the lease's columns renamed (their
rows kept), and the states the job's: pending is queued (running while being sent), the
history still says pending."""

from django.db import migrations, models
from django.db.models import Q

# The former states and the job's; a pending row with a lease was being run.
FORWARD = {"pending": "queued"}
BACKWARD = {"queued": "pending", "running": "pending"}


def to_job_states(apps, schema_editor) -> None:
    rows = apps.get_model("webhooks", "webhookdelivery").objects
    rows.filter(status="pending").exclude(lease_owner="").update(status="running")
    for old, new in FORWARD.items():
        rows.filter(status=old).update(status=new)


def to_former_states(apps, schema_editor) -> None:
    rows = apps.get_model("webhooks", "webhookdelivery").objects
    for new, old in BACKWARD.items():
        rows.filter(status=new).update(status=old)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_remove_webhookdelivery_task_id"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="webhookdelivery", name="webhookdelivery_status_valid"
        ),
        migrations.RenameField(
            model_name="webhookdelivery", old_name="lock", new_name="lease_owner"
        ),
        migrations.RenameField(
            model_name="webhookdelivery", old_name="locked_until", new_name="lease_expires_at"
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="lease_owner",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="last_error",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
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
            model_name="webhookdelivery",
            constraint=models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="webhookdelivery_status_valid",
            ),
        ),
    ]
