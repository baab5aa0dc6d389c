"""System checks of the website: the map library's files are there (``mtp check``, ``mtp serve``).

They come from npm packages, copied into mtp/web/static/vendor/ by scripts/setup.sh, which lists
them in vendor/files.txt; wheels and sdists carry them. Without them every map page fails while
the rest of the site seems fine, so a missing file is an Error: the server does not start.
"""

from django.contrib.staticfiles import finders
from django.core.checks import Error, Tags, register

VENDOR_MANIFEST = "vendor/files.txt"


def missing_vendor_files() -> list[str]:
    """The static paths of vendor files the site needs and cannot find."""
    manifest = finders.find(VENDOR_MANIFEST)
    if manifest is None:
        return [VENDOR_MANIFEST]
    with open(manifest, encoding="utf-8") as listing:
        names = listing.read().split()
    return [f"vendor/{name}" for name in names if finders.find(f"vendor/{name}") is None]


@register(Tags.staticfiles)
def vendor_files_present(app_configs, **kwargs) -> list:
    missing = missing_vendor_files()
    if not missing:
        return []
    return [
        Error(
            f"The map library's files are missing ({', '.join(missing)}): every map page would "
            "fail.",
            hint="Run scripts/setup.sh (it installs them with npm), or install a wheel or sdist "
            "of the project, which carries them.",
            id="mtp.E001",
        )
    ]
