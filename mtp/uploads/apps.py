from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "mtp.uploads"
    label = "uploads"
    verbose_name = "Uploads"

    def ready(self) -> None:
        from mtp.lib import jobs
        from mtp.uploads import transfers
        from mtp.uploads.jobs import run
        from mtp.uploads.models import ProcessUploadSet, Transfer

        jobs.register(ProcessUploadSet, run)
        jobs.register(Transfer, transfers.run)
