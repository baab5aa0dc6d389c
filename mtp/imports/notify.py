"""Telling the owner of a sequence that its import failed, by e-mail.

Apps that created the sequence hear of it through webhooks, and My sequences shows it; but an
app such as the MTP Desktop Uploader stops asking once it got a 202, so the person would
never know. ``fail`` calls this once the failure is committed, once per failed job.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from mtp.imports.models import ImportJob
from mtp.lib.text import one_line

logger = logging.getLogger(__name__)


def send_failure_email(job_id: int) -> bool:
    """E-mail the owner the reason and where to retry, unless they opted out; whether sent."""
    job = (
        ImportJob.objects.select_related("sequence__owner")
        .defer("token_ciphertext")
        .filter(pk=job_id, status=ImportJob.Status.FAILED)
        .first()
    )
    if job is None:
        return False
    sequence, owner = job.sequence, job.sequence.owner
    if not owner.email or not owner.import_failure_emails or not owner.is_active:
        return False
    site = settings.SITE_URL.rstrip("/")
    context = {
        "owner": owner,
        "sequence": sequence,
        "job": job,
        "retry_url": site + reverse("web:import", args=[sequence.unique_id]),
        "my_url": site + reverse("web:my"),
        "settings_url": site + reverse("accounts:settings"),
        "site_name": settings.SITE_NAME,
    }
    # A header holds one line: a name kept with a line end would make Django refuse to send.
    subject = one_line(f"The import of “{sequence.name}” failed")
    try:
        send_mail(
            subject[:200],
            render_to_string("imports/failure_email.txt", context),
            None,
            [owner.email],
        )
    except Exception:  # noqa: BLE001 - the failure is recorded; a lost e-mail must not undo it
        logger.exception("import %s: the failure e-mail could not be sent", job.pk)
        return False
    return True
