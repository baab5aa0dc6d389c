from django.apps import AppConfig


class ToursConfig(AppConfig):
    name = "mtp.tours"
    label = "tours"
    verbose_name = "Tours"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete

        from mtp.sequences.likes import recount_when_users_leave
        from mtp.sequences.models import Sequence
        from mtp.tours.models import (
            Tour,
            TourLike,
            sequence_deleted,
            sequence_deleting,
            sequence_saved,
        )

        post_save.connect(sequence_saved, sender=Sequence, dispatch_uid="tours-sequence-saved")
        pre_delete.connect(sequence_deleting, sender=Sequence, dispatch_uid="tours-seq-deleting")
        post_delete.connect(sequence_deleted, sender=Sequence, dispatch_uid="tours-seq-deleted")
        recount_when_users_leave(TourLike, "tour", Tour)
