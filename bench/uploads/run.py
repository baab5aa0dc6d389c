"""Uploads benchmark: how fast a worker turns a completed upload set into published sequences.

Prints, for 200 flat 4,000x3,000 photos and 50 equirectangular 5,760x2,880 photos (made here,
with a camera's EXIF, the panoramas with GPano XMP):
- photos per second from *complete* to published: ``mtp worker --batch --queues uploads`` on
  a SpatiaLite instance of its own, timed from its start to its end (the worker's start, about
  a second, is included);
- the bound: the ``vips thumbnail`` command making the same two derivatives (2,048 px and
  500 px, quality 80) of the same photos, one command per file as a shell loop would, and the
  ratio of the two (target: at most 2);
- the worker's peak memory (maximum resident set size).

Usage: .venv/bin/python bench/uploads/run.py [--flat 200] [--panoramas 50]
Photos are made once and kept in var/bench-uploads/photos.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PHOTOS = ROOT / "var" / "bench-uploads" / "photos"
START = datetime(2025, 6, 1, 9, 0, 0)


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def make_photos(flat: int, panoramas: int) -> list[Path]:
    """Camera-like JPEGs: textured (a smooth field of noise), with EXIF, panoramas with XMP."""
    import piexif
    import pyvips

    from testing.photos import GPANO_XMP, LAT, LON, _dms

    PHOTOS.mkdir(parents=True, exist_ok=True)
    wanted = [("flat", index, 4000, 3000) for index in range(flat)]
    wanted += [("pano", index, 5760, 2880) for index in range(panoramas)]
    paths = []
    for kind, index, width, height in wanted:
        path = PHOTOS / f"{kind}_{index:04d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        bands = [
            pyvips.Image.gaussnoise(width // 8, height // 8, sigma=50, mean=128 + band * 10)
            .resize(8, kernel="linear")
            .cast("uchar")
            for band in range(3)
        ]
        image = bands[0].bandjoin(bands[1:]).copy(interpretation="srgb")
        if kind == "pano":
            xmp = GPANO_XMP.format(width=width, height=height).encode()
            image.set_type(pyvips.GValue.blob_type, "xmp-data", xmp)
        data = image.jpegsave_buffer(Q=90)
        taken = START + timedelta(seconds=index * 2 + (0 if kind == "flat" else 3600))
        lon = LON + index * 0.00005 + (0 if kind == "flat" else 0.01)
        exif = piexif.dump(
            {
                "0th": {piexif.ImageIFD.Make: b"GoPro", piexif.ImageIFD.Model: b"MAX"},
                "Exif": {
                    piexif.ExifIFD.DateTimeOriginal: taken.strftime("%Y:%m:%d %H:%M:%S").encode(),
                    piexif.ExifIFD.OffsetTimeOriginal: b"+02:00",
                },
                "GPS": {
                    piexif.GPSIFD.GPSLatitudeRef: b"N",
                    piexif.GPSIFD.GPSLatitude: _dms(LAT),
                    piexif.GPSIFD.GPSLongitudeRef: b"E",
                    piexif.GPSIFD.GPSLongitude: _dms(lon),
                },
            }
        )
        path.write_bytes(data)
        piexif.insert(exif, str(path))
    return paths


def vips_bound(paths: list[Path], scratch: Path) -> float:
    """Seconds the ``vips thumbnail`` command takes to make both derivatives of every photo."""
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for path in paths:
        for name, width in (("sd", 2048), ("thumb", 500)):
            target = scratch / f"{path.stem}_{name}.jpg[Q=80,strip,optimize_coding]"
            subprocess.run(
                [
                    "vips",
                    "thumbnail",
                    str(path),
                    str(target),
                    str(width),
                    "--height",
                    "100000",
                    "--size",
                    "down",
                ],
                check=True,
            )
    return time.perf_counter() - started


def run(kind: str, paths: list[Path], scratch: Path) -> None:
    data_dir = scratch / f"instance-{kind}"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(MTP_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="mtp.settings")
    python = sys.executable
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    # The upload itself, in a process of its own (not timed): files stored, set completed.
    upload = f"""
import django, sys
django.setup()
from mtp.accounts.models import User
from mtp.uploads import actions
from mtp.uploads.actions import SetParameters
owner = User.objects.create_user("bench", "bench@example.org", "bench horse battery")
upload_set = actions.create_upload_set(owner, None, SetParameters(title="Bench {kind}"))
for path in sys.argv[1:]:
    with open(path, "rb") as file:
        actions.add_file(upload_set, path.rsplit("/", 1)[-1], file.read())
actions.complete(upload_set)
"""
    subprocess.run([python, "-c", upload, *map(str, paths)], env=env, check=True, cwd=ROOT)
    started = time.perf_counter()
    worker = subprocess.Popen(
        [python, "-m", "mtp.cli", "worker", "--batch", "--queues", "uploads"], env=env, cwd=ROOT
    )
    # The worker's own peak memory: wait4 gives the one child's resource use.
    _pid, status, usage = os.wait4(worker.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the worker exited with status {status}")
    check = """
import django
django.setup()
from mtp.sequences.models import Image, Sequence
print(Sequence.objects.filter(status="published").count(), Image.objects.count())
"""
    published = subprocess.run(
        [python, "-c", check], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    bound = vips_bound(paths, scratch / f"vips-{kind}")
    say(
        f"{kind}: {len(paths)} photos, {published[1]} published in {published[0]} sequences; "
        f"worker {seconds:.1f} s = {len(paths) / seconds:.2f} photos/s; "
        f"vips thumbnail {bound:.1f} s = {len(paths) / bound:.2f} photos/s; "
        f"ratio {seconds / bound:.2f} (target <= 2)"
    )
    say(f"{kind}: the worker's peak resident memory {usage.ru_maxrss / 1024:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flat", type=int, default=200)
    parser.add_argument("--panoramas", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("vips") is None:
        say("the vips command is missing: scripts/setup.sh installs libvips-tools")
        return 1
    say("making the photos (once)")
    paths = make_photos(args.flat, args.panoramas)
    with tempfile.TemporaryDirectory(prefix="mtp-bench-uploads-") as folder:
        scratch = Path(folder)
        run("flat", [p for p in paths if p.name.startswith("flat")], scratch)
        run("panoramas", [p for p in paths if p.name.startswith("pano")], scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
