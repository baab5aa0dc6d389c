"""Packaging: the metadata is in pyproject.toml. A wheel or sdist must carry the map library's
files (mtp/web/static/vendor/, made by scripts/setup.sh from npm packages): without them every
map page fails. Building one without them stops here, saying how to make them."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

VENDOR = Path(__file__).resolve().parent / "mtp" / "web" / "static" / "vendor"


def require_vendor_files() -> None:
    manifest = VENDOR / "files.txt"
    listed = manifest.read_text().split() if manifest.is_file() else []
    missing = [name for name in listed if not (VENDOR / name).is_file()]
    if not listed or missing:
        raise SystemExit(
            "The front-end files the site serves are missing from mtp/web/static/vendor/"
            f"{' (' + ', '.join(missing) + ')' if missing else ''}: run scripts/setup.sh "
            "(it needs npm) before building a package."
        )


class BuildPyWithVendor(build_py):
    def run(self) -> None:
        # An editable install reads the files where they are, once setup.sh has made them.
        if not self.editable_mode:
            require_vendor_files()
        super().run()


class SdistWithVendor(sdist):
    def run(self) -> None:
        require_vendor_files()
        super().run()


setup(cmdclass={"build_py": BuildPyWithVendor, "sdist": SdistWithVendor})
