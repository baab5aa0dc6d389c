"""The map library's files (npm packages copied by scripts/setup.sh) ship inside the wheel and
the sdist, and an instance without them refuses to start instead of failing every map page."""

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from mtp.web.checks import VENDOR_MANIFEST, vendor_files_present
from testing.processes import fresh_instance_env, mtp_command

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "mtp" / "web" / "static" / "vendor"


def listed_vendor_files() -> list[str]:
    return (VENDOR / "files.txt").read_text().split()


def build(source: Path, out: Path, *kinds: str) -> subprocess.CompletedProcess:
    """``python -m build`` with the test environment's setuptools: no download."""
    return subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), *kinds, "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_manifest_lists_every_vendor_file_the_site_names():
    named = set()
    for path in (ROOT / "mtp").rglob("*"):
        if path.suffix in (".html", ".py", ".js") and "tests" not in path.parts:
            named |= set(re.findall(r"vendor/([\w./-]+\.(?:mjs|js|css))", path.read_text()))
    assert named, "the site names no vendor file?"
    assert named <= set(listed_vendor_files())


def copy_project(destination: Path, *, vendor: bool) -> Path:
    """The files a build reads, copied (so that builds leave nothing in the checkout and
    test runs side by side do not share a build folder)."""
    destination.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, destination / name)
    skipped = ["__pycache__", "*.egg-info"] + ([] if vendor else ["vendor"])
    for package in ("mtp", "testing"):
        shutil.copytree(
            ROOT / package, destination / package, ignore=shutil.ignore_patterns(*skipped)
        )
    return destination


@pytest.mark.slow
def test_the_sdist_and_the_wheel_built_from_it_carry_the_vendor_files(tmp_path):
    result = build(copy_project(tmp_path / "source", vendor=True), tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    wanted = {f"mtp/web/static/vendor/{name}" for name in ["files.txt", *listed_vendor_files()]}
    [sdist] = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert wanted <= in_sdist
    [wheel] = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        assert wanted <= in_wheel
        # The test package (the Mapillary stand-in, builders) stays in the checkout.
        assert not [name for name in in_wheel if name.startswith("testing/")]
        for name in wanted:
            assert archive.read(name) == (ROOT / name).read_bytes()


@pytest.mark.slow
def test_a_package_is_not_built_without_the_vendor_files(tmp_path):
    source = copy_project(tmp_path / "source", vendor=False)
    for kind in ("--sdist", "--wheel"):
        result = build(source, tmp_path / "out", kind)
        assert result.returncode != 0
        assert "run scripts/setup.sh" in result.stdout + result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- the system check ------------------------------------------------------------------------


@pytest.fixture
def static_dir(settings, tmp_path):
    """The site's static files as found in ``tmp_path`` alone."""
    settings.STATICFILES_DIRS = [str(tmp_path)]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    yield tmp_path
    finders.get_finder.cache_clear()


def test_the_check_passes_with_the_files_setup_made():
    assert vendor_files_present(None) == []
    call_command("check")


def test_without_the_vendor_files_the_check_is_an_error(static_dir):
    [error] = vendor_files_present(None)
    assert error.id == "mtp.E001"
    assert error.is_serious()
    assert VENDOR_MANIFEST in error.msg
    with pytest.raises(SystemCheckError, match="mtp.E001"):
        call_command("check")


def test_a_listed_file_missing_is_named(static_dir):
    (static_dir / "vendor" / "maplibre-gl").mkdir(parents=True)
    (static_dir / "vendor" / "files.txt").write_text("maplibre-gl/a.mjs\nmaplibre-gl/b.css\n")
    (static_dir / "vendor" / "maplibre-gl" / "a.mjs").write_text("export {};\n")
    [error] = vendor_files_present(None)
    assert "vendor/maplibre-gl/b.css" in error.msg
    assert "a.mjs" not in error.msg
    (static_dir / "vendor" / "maplibre-gl" / "b.css").write_text("")
    assert vendor_files_present(None) == []


SETTINGS_WITHOUT_VENDOR = """
from mtp.settings import *  # noqa: F403

STATICFILES_DIRS = [{static!r}]
STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", [["check"], ["serve", "--no-worker", "--port", "9"]])
def test_mtp_serve_and_check_stop_when_the_files_are_missing(tmp_path, command):
    (tmp_path / "static").mkdir()
    (tmp_path / "settings_without_vendor.py").write_text(
        SETTINGS_WITHOUT_VENDOR.format(static=str(tmp_path / "static"))
    )
    env = fresh_instance_env(
        tmp_path / "data",
        DJANGO_SETTINGS_MODULE="settings_without_vendor",
        PYTHONPATH=str(tmp_path),
    )
    result = subprocess.run(
        mtp_command(*command), env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "mtp.E001" in result.stderr
    assert "serving" not in result.stdout
