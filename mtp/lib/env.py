"""Read settings from the environment, failing loudly on values that do not parse.

Every helper raises ``ImproperlyConfigured`` naming the variable, so a typo in a
deployment stops start-up with a message an operator can act on.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """The variable's value, or ``default`` when it is unset."""
    return os.environ.get(name, default)


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (any case), or ``default`` when the variable is unset or empty."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {raw!r}.")
    return raw


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off (any case)."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off"
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    former: str = "",
) -> int:
    """An integer variable, optionally bounded; ``former``, the name it had before, is read
    when it is unset."""
    raw = os.environ.get(name)
    if former and (raw is None or raw.strip() == ""):
        name, raw = former, os.environ.get(former)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum of {maximum}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """A number variable, optionally bounded below."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blanks around items are ignored."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str) -> str:
    """An http(s) URL without a trailing slash."""
    raw = os.environ.get(name, default).strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an http(s) URL")
    return raw.rstrip("/")


def env_redis_url(name: str) -> str:
    """A Redis URL (redis://, rediss:// or unix://), or "" when the variable is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(
            f"{name} is not a Redis URL: use redis://host:6379/0, rediss://... or unix:///path"
        )
    return raw


def env_origins(name: str, default: list[str]) -> list[str]:
    """Web origins (``https://app.example.org``, a port allowed, no path), or ``*`` for any."""
    origins = env_list(name, default)
    for origin in origins:
        if origin == "*":
            continue
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path
            or parts.query
            or parts.fragment
        ):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin: write scheme://host[:port], no path, or *"
            )
    return origins


def env_tile_url(name: str, default: str) -> str:
    """A map tile URL template: http(s) with ``{z}``, ``{x}`` and ``{y}``, or empty for none."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an http(s) URL")
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in raw]
    if missing:
        raise ImproperlyConfigured(f"{name}={raw!r} lacks {', '.join(missing)}")
    return raw


def env_path(name: str, default: str) -> Path:
    """A filesystem path, made absolute."""
    raw = os.environ.get(name, default)
    if not raw.strip():
        raise ImproperlyConfigured(f"{name} is empty: give a directory path")
    return Path(raw).expanduser().resolve()


def database_from_url(name: str, url: str) -> dict:
    """Django DATABASES entry for a SpatiaLite or PostgreSQL/PostGIS URL.

    ``spatialite:///relative/path.db`` or ``spatialite:////absolute/path.db`` (or ``sqlite://``,
    the usual SQLAlchemy spelling) selects SpatiaLite;
    ``postgres://``, ``postgresql://`` or ``postgis://`` selects PostGIS.
    Query parameters become connection options (``?sslmode=require``).
    """
    parts = urlsplit(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme in ("spatialite", "sqlite"):
        # The first slash separates the (empty) host from the path.
        path = unquote(parts.path)[1:]
        if not path:
            raise ImproperlyConfigured(f"{name}={url!r} has no database file path")
        path = str(Path(path).resolve())
        return {
            "ENGINE": "django.contrib.gis.db.backends.spatialite",
            "NAME": path,
            "OPTIONS": {
                # WAL lets the web processes read while the worker writes; IMMEDIATE
                # transactions take the write lock up front instead of failing half-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if parts.scheme in ("postgres", "postgresql", "postgis"):
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(f"{name}={url!r} has no database name")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={url!r} has a bad port") from None
        return {
            "ENGINE": "django.contrib.gis.db.backends.postgis",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"{name}={url!r}: unsupported scheme {parts.scheme!r}; use spatialite:///path or postgres://..."
    )


def persistent_secret(path: Path) -> str:
    """A secret kept in ``path`` (mode 0600), generated on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: the link either
    # wins atomically or finds another process's complete secret already there.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
