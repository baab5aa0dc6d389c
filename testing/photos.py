"""Camera photos made in tests: JPEGs with the EXIF a camera writes (position, time with its
offset, heading, make and model), and for a panorama the GPano XMP of a 360° camera."""

import io
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import piexif
from PIL import Image as PILImage

START = datetime(2025, 6, 1, 9, 0, 0)
# Along a street in Geneva, one photo every ~5 m.
LON, LAT = 6.1432, 46.2044
STEP_DEGREES = 0.00005

GPANO_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:GPano="http://ns.google.com/photos/1.0/panorama/"
   GPano:ProjectionType="equirectangular" GPano:UsePanoramaViewer="True"
   GPano:FullPanoWidthPixels="{width}" GPano:FullPanoHeightPixels="{height}"
   GPano:CroppedAreaImageWidthPixels="{width}" GPano:CroppedAreaImageHeightPixels="{height}"
   GPano:CroppedAreaLeftPixels="0" GPano:CroppedAreaTopPixels="0"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def _rational(value: float, denominator: int = 1_000_000) -> tuple[int, int]:
    fraction = Fraction(value).limit_denominator(denominator)
    return fraction.numerator, fraction.denominator


def _dms(value: float) -> tuple[tuple[int, int], ...]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return ((degrees, 1), (minutes, 1), _rational(seconds, 10_000))


def camera_photo(
    *,
    lon: float | None = LON,
    lat: float | None = LAT,
    taken: datetime | None = START,
    offset: str = "+02:00",
    heading: float | None = 90.0,
    make: str = "GoPro",
    model: str = "HERO9 Black",
    size: tuple[int, int] = (64, 48),
    pano: bool = False,
    colour: tuple[int, int, int] = (90, 140, 200),
) -> bytes:
    """A JPEG with a camera's EXIF; None for ``lon``/``lat`` or ``taken`` leaves them out.
    ``pano``: a 2:1 photo with GPano XMP (pass a 2:1 ``size``)."""
    buffer = io.BytesIO()
    picture = PILImage.new("RGB", size, colour)
    # A little detail, so that no two photos of a test are the same bytes.
    picture.putpixel((0, 0), (int((lon or 0) * 1e6) % 256, int((lat or 0) * 1e6) % 256, 7))
    zeroth = {piexif.ImageIFD.Make: make.encode(), piexif.ImageIFD.Model: model.encode()}
    exif: dict = {piexif.ExifIFD.FocalLength: (3, 1), piexif.ExifIFD.FocalLengthIn35mmFilm: 16}
    gps: dict = {}
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S").encode()
        exif[piexif.ExifIFD.DateTimeOriginal] = stamp
        exif[piexif.ExifIFD.OffsetTimeOriginal] = offset.encode()
        exif[piexif.ExifIFD.SubSecTimeOriginal] = b"000"
    if lon is not None and lat is not None:
        gps.update(
            {
                piexif.GPSIFD.GPSLatitudeRef: b"N" if lat >= 0 else b"S",
                piexif.GPSIFD.GPSLatitude: _dms(lat),
                piexif.GPSIFD.GPSLongitudeRef: b"E" if lon >= 0 else b"W",
                piexif.GPSIFD.GPSLongitude: _dms(lon),
                piexif.GPSIFD.GPSAltitude: (412, 1),
            }
        )
    if heading is not None:
        gps[piexif.GPSIFD.GPSImgDirectionRef] = b"T"
        gps[piexif.GPSIFD.GPSImgDirection] = _rational(heading, 100)
    exif_bytes = piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps})
    options: dict = {"exif": exif_bytes, "quality": 85}
    if pano:
        xmp = GPANO_XMP.format(width=size[0], height=size[1]).encode()
        options["xmp"] = xmp
    picture.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def walk(count: int, *, start: datetime = START, every_seconds: int = 2, **fields) -> list[bytes]:
    """``count`` photos taken along a street, ``every_seconds`` apart, heading east."""
    return [
        camera_photo(
            lon=LON + index * STEP_DEGREES,
            lat=LAT,
            taken=start + timedelta(seconds=index * every_seconds),
            **fields,
        )
        for index in range(count)
    ]


def write_folder(folder: Path, photos: list[bytes], prefix: str = "IMG_") -> list[Path]:
    """Write ``photos`` into ``folder`` as IMG_0001.jpg, IMG_0002.jpg..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, data in enumerate(photos, start=1):
        path = folder / f"{prefix}{index:04d}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths
