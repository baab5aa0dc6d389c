#!/usr/bin/env bash
# Prepare this checkout: system libraries, a virtual environment in .venv, the project installed.
# Usage: scripts/setup.sh [--postgis] [--browser] [--redis]
#   --postgis   also install PostGIS for the machine's PostgreSQL (the test suite's second run)
#   --browser   also install Chromium for the browser tests (Debian's package; no browser download)
#   --redis     also install redis-server for the Redis cache tests
# Node.js and npm install the website's front-end packages (the map library) from
# package-lock.json; the files the site serves are copied into mtp/web/static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."

want_postgis=0
want_browser=0
want_redis=0
for arg in "$@"; do
  case "$arg" in
    --postgis) want_postgis=1 ;;
    --browser) want_browser=1 ;;
    --redis) want_redis=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }

# System packages (Debian/Ubuntu names).
packages=(binutils gdal-bin libgdal-dev libproj-dev libgeos-c1v5 libsqlite3-mod-spatialite python3-venv)
# libvips makes the derivatives of uploaded photos (pyvips); its tools give the benchmark's bound.
packages+=(libvips42 libvips-tools)
if [ "$want_postgis" = 1 ]; then
  pg_major=""
  if command -v pg_config >/dev/null 2>&1; then
    pg_major=$(pg_config --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
  fi
  if [ -z "$pg_major" ] && [ -d /etc/postgresql ]; then
    pg_major=$(ls /etc/postgresql | sort -n | tail -n 1)
  fi
  packages+=("postgresql-${pg_major:-15}-postgis-3")
fi
if [ "$want_browser" = 1 ]; then
  packages+=(chromium fonts-dejavu-core)
fi
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [ "$want_redis" = 1 ]; then
  packages+=(redis-server)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "this system has no apt-get. Install these (or your system's equivalents) by hand:"
    say "  GDAL, GEOS, PROJ, the SpatiaLite SQLite extension, Python 3.11+ with venv"
    [ "$want_postgis" = 1 ] && say "  PostGIS 3 for your PostgreSQL"
    [ "$want_browser" = 1 ] && say "  Chromium"
    command -v npm >/dev/null 2>&1 || say "  Node.js with npm"
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      say "need root to install: ${missing[*]}. Run as root, or install them by hand."
      exit 1
    fi
  fi
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A Python whose sqlite3 can load extensions (SpatiaLite is one). Debian's own python3
# can; some builds (pyenv's, for one) cannot.
can_load_extensions() {
  "$1" - <<'PY' 2>/dev/null
import sqlite3, sys
if sys.version_info < (3, 11):
    raise SystemExit(1)
sqlite3.connect(":memory:").enable_load_extension(True)
PY
}
python=""
for candidate in ${MTP_PYTHON:-} /usr/bin/python3 /usr/bin/python3.11 /usr/bin/python3.12 /usr/bin/python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && can_load_extensions "$candidate"; then
    python=$(command -v "$candidate")
    break
  fi
done
if [ -z "$python" ]; then
  say "no Python 3.11+ whose sqlite3 can load extensions was found."
  say "Install Debian's python3 (apt-get install python3 python3-venv), or point MTP_PYTHON at one."
  exit 1
fi

# The virtual environment, rebuilt when its Python is not the one chosen.
if [ -x .venv/bin/python ] && ! can_load_extensions .venv/bin/python; then
  say "rebuilding .venv: its Python cannot load SQLite extensions"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $python"
  "$python" -m venv .venv
fi

# Install the project when pyproject.toml changed since the last install.
stamp=.venv/.mtp-installed
digest=$(cat pyproject.toml requirements/photos.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  say "installing the project and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
  # The photo reader's pins cannot go through the resolver (requirements/photos.txt says why).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    -r requirements/photos.txt
  echo "$digest" > "$stamp"
fi

# The Panoramax command-line client, in an environment of its own for the upload API's tests.
cli_stamp=.venv-panoramax-cli/.mtp-installed
cli_digest=$(sha256sum requirements/panoramax-cli.txt | cut -d' ' -f1)
if [ ! -f "$cli_stamp" ] || [ "$(cat "$cli_stamp")" != "$cli_digest" ]; then
  say "installing the Panoramax command-line client into .venv-panoramax-cli"
  "$python" -m venv .venv-panoramax-cli
  .venv-panoramax-cli/bin/python -m pip install --quiet --disable-pip-version-check \
    -r requirements/panoramax-cli.txt
  echo "$cli_digest" > "$cli_stamp"
fi

# The website's front-end packages, installed when package-lock.json changed since the last
# install, then the files the site serves copied where Django's static files finder sees them,
# each package's into vendor/<package>/. vendor/files.txt lists them: the wheel and sdist carry
# them all (setup.py refuses to build without), and `mtp check` fails when one is missing.
# One line per package: the package, then the files of it the site serves.
vendor_files=(
  "maplibre-gl dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs dist/maplibre-gl.css LICENSE.txt"
  "pannellum build/pannellum.js build/pannellum.css COPYING"
  # The polygon drawing tool of the challenge form (it works on MapLibre maps), with the
  # source map its last line names (the hashed static files refuse a missing reference).
  "@mapbox/mapbox-gl-draw dist/mapbox-gl-draw.js dist/mapbox-gl-draw.js.map dist/mapbox-gl-draw.css LICENSE"
  # The upload page's drop area and sender (Uppy's Dashboard and XHR upload, one bundle).
  "uppy dist/uppy.min.mjs dist/uppy.min.mjs.map dist/uppy.min.css LICENSE"
)
vendor=mtp/web/static/vendor
npm_stamp=node_modules/.mtp-installed
npm_digest=$( (cat package.json package-lock.json; printf '%s\n' "${vendor_files[@]}") \
  | sha256sum | cut -d' ' -f1)
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_digest" ] \
   || [ ! -f "$vendor/files.txt" ]; then
  say "installing the front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  rm -rf "$vendor"
  mkdir -p "$vendor"
  for line in "${vendor_files[@]}"; do
    read -r package files <<< "$line"
    mkdir -p "$vendor/$package"
    for file in $files; do
      cp "node_modules/$package/$file" "$vendor/$package/"
      echo "$package/$(basename "$file")" >> "$vendor/files.txt.part"
    done
  done
  mv "$vendor/files.txt.part" "$vendor/files.txt"
  echo "$npm_digest" > "$npm_stamp"
fi
