"""The run of the job that processes a completed upload set (``ProcessUploadSet``, queue
``uploads``): ``processing.process`` does the work, renewing the lease after each photo; a
failed run is tried again later (``mtp.lib.jobs``), waiting longer each time."""

import logging

from django.utils import timezone

from mtp.lib.jobs import LeaseLost
from mtp.uploads.models import ProcessUploadSet
from mtp.uploads.processing import process

logger = logging.getLogger(__name__)


def run(job: ProcessUploadSet) -> str:
    """Make the set's sequences; what it came to ("succeeded", "retrying", "failed")."""
    try:
        process(job.upload_set, renew=job.renew)
    except LeaseLost:
        # The worker leaves the job to its new owner.
        raise
    except Exception as error:  # noqa: BLE001 - recorded on the job, tried again later
        logger.exception("upload set %s: processing failed", job.upload_set_id)
        return job.retry(f"{type(error).__name__}: {error}"[:300])
    job.finish(finished_at=timezone.now())
    return "succeeded"
