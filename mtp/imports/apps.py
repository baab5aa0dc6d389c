from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "mtp.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from mtp.imports.importer import run_import
        from mtp.imports.models import ImportJob
        from mtp.lib import jobs

        jobs.register(ImportJob, run_import)
