"""The Panoramax command-line client in tests: where scripts/setup.sh installs it (a venv of
its own: its packages cannot be installed beside the project's), a camera's folder to send, and
running it."""

import os
import subprocess
from datetime import timedelta
from pathlib import Path

from testing.photos import LON, START, STEP_DEGREES, camera_photo, write_folder

CLI = Path(__file__).resolve().parents[1] / ".venv-panoramax-cli" / "bin" / "panoramax_cli"


def camera_folder(root: Path) -> Path:
    """A camera's folder: a walk with a 10-minute stop in the middle (two sequences), a file
    cut short (the client refuses it itself) and one over the server's size limit (the server
    refuses it); beside it a folder of two 360° photos."""
    walk = [
        camera_photo(
            lon=LON + index * STEP_DEGREES,
            taken=START + timedelta(seconds=index * 2 + (600 if index >= 3 else 0)),
        )
        for index in range(6)
    ]
    truncated = camera_photo(lon=LON + 0.001)[:-200]
    too_large = camera_photo(lon=LON + 0.0015, size=(1600, 1200))
    write_folder(root / "walk", [*walk, truncated, too_large])
    panoramas = [
        camera_photo(
            lon=LON + 0.002 + index * STEP_DEGREES,
            taken=START + timedelta(hours=1, seconds=index * 2),
            size=(256, 128),
            pano=True,
            make="GoPro",
            model="MAX",
        )
        for index in range(2)
    ]
    write_folder(root / "360", panoramas, prefix="PANO_")
    return root


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), COLUMNS="200")
    # In the test's folder: the client writes a trace file where it runs when it fails.
    return subprocess.run(
        [str(CLI), *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
