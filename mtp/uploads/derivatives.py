"""The smaller files of a hosted photo (``mtp.sequences.hosted``), made with libvips.

``thumbnail_buffer`` decodes a JPEG at a fraction of its size when that is enough
(shrink-on-load: a 4,000 px photo is read at 1/8 for a 500 px thumb), so a photo costs a
fraction of a full decode. Orientation from EXIF is applied, and the files keep no metadata
(the ``hd`` file, the original, keeps all of it).
"""

import logging

import pyvips
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from mtp.sequences import hosted

QUALITY = 80

# libvips tells of every step of every thumbnail at INFO.
logging.getLogger("pyvips").setLevel(logging.WARNING)


def make(data: bytes) -> dict[str, bytes]:
    """The JPEG bytes of each derivative made smaller than the original (``sd``, ``thumb``)
    from the original's bytes; ``pyvips.Error`` when the photo cannot be decoded."""
    made = {}
    for name, width in hosted.DERIVATIVES.items():
        if width is None:
            continue
        # A photo narrower than the derivative is not enlarged.
        image = pyvips.Image.thumbnail_buffer(data, width, height=100_000, size="down")
        made[name] = image.jpegsave_buffer(Q=QUALITY, strip=True, optimize_coding=True)
    return made


def store(key: str, data: bytes) -> None:
    """Make and store the photo's derivatives, replacing any a crashed run left."""
    for name, content in make(data).items():
        save(hosted.file_name(key, name), content)


def save(name: str, content: bytes) -> None:
    """Store ``content`` under exactly ``name`` (the storage would otherwise pick another)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        raise OSError(f"the storage kept {name} as {saved}")
