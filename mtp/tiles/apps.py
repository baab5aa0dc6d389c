from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TilesConfig(AppConfig):
    name = "mtp.tiles"
    label = "tiles"
    verbose_name = "Vector tiles"

    def ready(self) -> None:
        from mtp.sequences.models import Sequence, TransportType
        from mtp.tiles import cache

        # What may change a tile forgets the tiles kept in memory (mtp/tiles/cache.py).
        post_save.connect(cache.sequence_saved, sender=Sequence, dispatch_uid="tiles-saved")
        post_delete.connect(cache.sequence_deleted, sender=Sequence, dispatch_uid="tiles-deleted")
        post_save.connect(
            cache.transport_type_saved, sender=TransportType, dispatch_uid="tiles-transport-type"
        )
