"""Background tasks of the webhooks app (Django's Tasks API, kept in the database)."""

from django_tasks import task

from mtp.webhooks.delivery import attempt


@task(queue_name="webhooks")
def deliver(delivery_id: int) -> str:
    """Try the webhook delivery ``delivery_id`` once; a failure queues the next attempt."""
    return attempt(delivery_id)
