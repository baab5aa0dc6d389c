"""Background tasks of the imports app (Django's Tasks API, kept in the database)."""

from django_tasks import task

from mtp.imports.importer import run_job


@task(queue_name="imports")
def import_sequence(job_id: int) -> str:
    """Run the import job ``job_id``. Its only argument is the id: the token stays in the job,
    encrypted, so it never reaches the task queue or a stored traceback."""
    return run_job(job_id)
