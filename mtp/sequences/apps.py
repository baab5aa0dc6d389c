from django.apps import AppConfig


class SequencesConfig(AppConfig):
    name = "mtp.sequences"
    label = "sequences"
    verbose_name = "Sequences"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from mtp.lib import jobs
        from mtp.sequences import checks  # noqa: F401 (registers the checks)
        from mtp.sequences.keeper import forget_copies
        from mtp.sequences.keeper import run as keep_photos
        from mtp.sequences.likes import recount_when_users_leave
        from mtp.sequences.models import KeepPhotosJob, Sequence, SequenceLike

        jobs.register(KeepPhotosJob, keep_photos)
        post_delete.connect(forget_copies, sender=Sequence, dispatch_uid="forget-kept-copies")
        recount_when_users_leave(SequenceLike, "sequence", Sequence)
