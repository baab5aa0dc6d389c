from django.apps import AppConfig


class SequencesConfig(AppConfig):
    name = "mtp.sequences"
    label = "sequences"
    verbose_name = "Sequences"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from mtp.lib import jobs
        from mtp.sequences import (
            checks,  # noqa: F401 (registers the checks)
            leaderboard,
        )
        from mtp.sequences.keeper import forget_copies
        from mtp.sequences.keeper import run as keep_photos
        from mtp.sequences.likes import recount_when_users_leave
        from mtp.sequences.models import Image, ImageLike, KeepPhotosJob, Sequence, SequenceLike

        jobs.register(KeepPhotosJob, keep_photos)
        post_delete.connect(forget_copies, sender=Sequence, dispatch_uid="forget-kept-copies")
        recount_when_users_leave(SequenceLike, "sequence", Sequence)
        recount_when_users_leave(ImageLike, "image", Image)
        # What may change a leaderboard forgets the rankings kept (mtp/sequences/leaderboard.py).
        post_save.connect(
            leaderboard.sequence_saved, sender=Sequence, dispatch_uid="leaderboards-saved"
        )
        post_delete.connect(
            leaderboard.sequence_deleted, sender=Sequence, dispatch_uid="leaderboards-deleted"
        )
