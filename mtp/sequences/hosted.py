"""Photos hosted here: the files of photos uploaded to this server (``mtp.uploads``).

Each uploaded photo is kept in three files in Django's default storage (files under the data
folder, or the S3-compatible bucket of ``MTP_S3_BUCKET``): ``hd``, the file as it was uploaded;
``sd``, 2,048 px wide; ``thumb``, 500 px wide. The photo endpoint (``mtp.api.images``) serves
them for the sizes of the instance's photo links (``mtp.sequences.links.SIZES``); no Mapillary
token is involved. The names are made from the photo's key alone, so the endpoint finds them
without a query.
"""

from django.core.files.storage import default_storage

FOLDER = "photos/hosted"
# The derivatives, by name: their width in pixels (None: the original as uploaded).
DERIVATIVES: dict[str, int | None] = {"hd": None, "sd": 2048, "thumb": 500}
# Which file answers each size of the photo links: the smallest that is at least as wide.
FOR_SIZE = {"256": "thumb", "1024": "sd", "2048": "sd", "original": "hd"}


def file_name(key: str, derivative: str) -> str:
    """The storage name of a hosted photo's derivative (``hd``, ``sd`` or ``thumb``)."""
    if derivative not in DERIVATIVES:
        raise ValueError(f"derivative must be one of {', '.join(DERIVATIVES)}")
    # Keys of hosted photos are UUIDs: nothing in them can leave the folder.
    return f"{FOLDER}/{key[:2]}/{key}/{derivative}.jpg"


def delete_files(key: str) -> None:
    """Delete a hosted photo's files (those that exist)."""
    for derivative in DERIVATIVES:
        name = file_name(key, derivative)
        if default_storage.exists(name):
            default_storage.delete(name)
