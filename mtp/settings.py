"""Django settings, read only from the environment (see README "Configuration")."""

from pathlib import Path
from typing import Any

from mtp.lib.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_origins,
    env_path,
    env_redis_url,
    env_str,
    env_tile_url,
    env_url,
    persistent_secret,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("MTP_DATA_DIR", "./var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "") or persistent_secret(DATA_DIR / "secret_key")
# Earlier secret keys, comma-separated, still accepted after a rotation (docs/DEPLOY.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies in front of the server that append to X-Forwarded-For (0: trust no header).
MTP_PROXY_COUNT = env_int("MTP_PROXY_COUNT", 0, minimum=0, maximum=5)
# The public address of this instance, used in links the API returns and in emails.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")
SITE_NAME = env_str("SITE_NAME", "Map the Paths")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "oauth2_provider",
    "ninja",
    "mtp.accounts",
    "mtp.developers",
    "mtp.sequences",
    "mtp.challenges",
    "mtp.tours",
    "mtp.guidebooks",
    "mtp.imports",
    "mtp.uploads",
    "mtp.api",
    "mtp.tiles",
    "mtp.web",
    "mtp.webhooks",
    "mtp.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Other sites' pages may call the API (mtp/lib/cors.py); preflights end here.
    "mtp.lib.cors.CorsMiddleware",
    "mtp.lib.dbavailability.DatabaseAvailabilityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages, JSON, GeoJSON, GPX and tiles in brotli or gzip (mtp/lib/compression.py).
    "mtp.lib.compression.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages for a signed-in person: Cache-Control: private, no-store (mtp/lib/security.py).
    "mtp.lib.security.PrivatePageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response but static files (mtp/lib/security.py).
    "mtp.lib.security.ContentSecurityPolicyMiddleware",
    # A 413 for an oversized body before the CSRF check (a view hook) or a view reads it.
    "mtp.lib.security.RequestSizeMiddleware",
]

ROOT_URLCONF = "mtp.urls"
WSGI_APPLICATION = "mtp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mtp.web.context_processors.site",
            ],
        },
    },
]

# DATA_DIR is absolute, so the default has four slashes: spatialite:////abs/path.
DATABASE_URL = env_str("DATABASE_URL", f"spatialite:///{DATA_DIR / 'mtp.sqlite3'}")
DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
if DATABASES["default"]["ENGINE"].endswith("postgis"):
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Tests share their database with real worker and server processes, so even the
# SpatiaLite test database is a file, never ":memory:".
DATABASES["default"]["TEST"] = {
    "NAME": env_str("MTP_TEST_DATABASE_NAME", "")
    or (
        str(DATA_DIR / "test.sqlite3")
        if DATABASES["default"]["ENGINE"].endswith("spatialite")
        else f"test_{DATABASES['default']['NAME']}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Failed log-ins allowed per window, per client address and per account.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900, minimum=1)
# Sign-up attempts allowed per window (seconds) from one client address; 0 turns it off.
SIGNUP_RATE_LIMIT = env_int("SIGNUP_RATE_LIMIT", 20, minimum=0)
SIGNUP_RATE_WINDOW = env_int("SIGNUP_RATE_WINDOW", 3600, minimum=1)
# Password reset e-mails asked for per hour, per client address and per e-mail address.
PASSWORD_RESET_RATE_LIMIT = env_int("PASSWORD_RESET_RATE_LIMIT", 5, minimum=0)
# Password reset links work this many seconds (and once).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 3600, minimum=60)

# E-mail (password resets): an SMTP server, or, with none set, each message written as a
# file to the data folder's mail/ (a one-machine instance can read them there).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_SSL:
    EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# The cache holds rate-limit counters (mtp/lib/ratelimit.py): the database by default (the
# mtp_cache table, made by the migrations and again by `mtp serve`), Redis when REDIS_URL
# is set (exact counts across processes and machines).
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("MTP_REDIS_PREFIX", "mtp"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "mtp_cache",
            # A counter per client and window: past this many rows, the expired ones go first.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# Rate limits: requests per MTP_API_RATE_WINDOW seconds; 0 turns a limit off. Per access token
# (apps acting for a user), per address (reads with only a client_id), vector tiles per
# address (a map view fetches dozens), and import calls per user (each may ask Mapillary).
MTP_API_RATE_WINDOW = env_int("MTP_API_RATE_WINDOW", 60, minimum=1)
MTP_API_RATE_TOKEN = env_int("MTP_API_RATE_TOKEN", 600, minimum=0)
MTP_API_RATE_ADDRESS = env_int("MTP_API_RATE_ADDRESS", 600, minimum=0)
MTP_API_RATE_TILES = env_int("MTP_API_RATE_TILES", 3000, minimum=0)
MTP_API_RATE_IMPORT = env_int("MTP_API_RATE_IMPORT", 30, minimum=0)
# Photos (/api/v1/images/<key>/thumbnail) per address: a sequence page shows a strip of them.
MTP_API_RATE_PHOTOS = env_int("MTP_API_RATE_PHOTOS", 3000, minimum=0)
# Tokens refused (401) per address, after which its requests with a token get 429s.
MTP_API_RATE_BAD_TOKEN = env_int("MTP_API_RATE_BAD_TOKEN", 30, minimum=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded and kept files (kept copies of photos): under the data folder by default; an
# S3-compatible object store when several machines serve (docs/DEPLOY.md).
MEDIA_ROOT = DATA_DIR / "media"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "mtp.lib.compression.StaticFilesStorage"},
}
# Kept copies of photos in an S3-compatible bucket instead (django-storages, the "s3" extra):
# every machine of an instance then serves the same copies.
MTP_S3_BUCKET = env_str("MTP_S3_BUCKET", "")
if MTP_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MTP_S3_BUCKET,
            "endpoint_url": env_str("MTP_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("MTP_S3_REGION", "") or None,
            "access_key": env_str("MTP_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("MTP_S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("MTP_S3_PREFIX", ""),
            # Copies are read by this server only, never linked to.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
# Tests and DEBUG serve static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Security headers on every response; TLS-only settings when the instance sits behind TLS.
MTP_TLS = env_bool("MTP_TLS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# No referrer ever goes to another site. Not "no-referrer": with it, browsers send
# "Origin: null" on the site's own form posts, and the CSRF check refuses them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = MTP_TLS
CSRF_COOKIE_SECURE = MTP_TLS
SECURE_SSL_REDIRECT = MTP_TLS
SECURE_HSTS_SECONDS = 31536000 if MTP_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = MTP_TLS
SECURE_HSTS_PRELOAD = env_bool("MTP_HSTS_PRELOAD", False)
if MTP_TLS:
    # The TLS proxy in front tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Request body limits: a careless client cannot make the server buffer megabytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MTP_MAX_BODY_BYTES", 1_048_576, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# OAuth 2.0 (django-oauth-toolkit). The Application model is ours from the first migration;
# mtp/developers/oauth2.py changes what DOT stores and checks (see docs/OAUTH.md).
OAUTH2_PROVIDER_APPLICATION_MODEL = "developers.Application"
# Named so that a model may point at access tokens (mtp.uploads.models.CliTokenClaim).
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 (a model)
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "mtp.developers.oauth2.Validator",
    "OAUTH2_SERVER_CLASS": "mtp.developers.oauth2.Server",
    "ACCESS_TOKEN_GENERATOR": "mtp.developers.oauth2.generate_token",
    "REFRESH_TOKEN_GENERATOR": "mtp.developers.oauth2.generate_token",
    # Tokens do not expire unless an instance asks for a lifetime (in seconds).
    "ACCESS_TOKEN_EXPIRE_SECONDS": (
        env_int("OAUTH_TOKEN_LIFETIME", 0, minimum=0) or 100 * 365 * 86400
    ),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    # PKCE (S256 only) for every client using the authorization code flow.
    "PKCE_REQUIRED": True,
    "ALLOWED_SCHEMES": ["https", "http"],
    "SCOPES": {
        "read": "See your sequences, including drafts",
        "write": "Create, import, edit and delete sequences for you",
    },
    "DEFAULT_SCOPES": ["read", "write"],
    # A user who already granted an app is not asked again unless it asks for more.
    "REQUEST_APPROVAL_PROMPT": "auto",
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    # Device authorization (RFC 8628): where people type the code their device shows.
    "OAUTH_DEVICE_VERIFICATION_URI": f"{SITE_URL.rstrip('/')}/device",
    "OAUTH_DEVICE_VERIFICATION_URI_COMPLETE": (
        f"{SITE_URL.rstrip('/')}/device?user_code={{user_code}}"
    ),
    # Device codes are stored hashed and looked up by mtp.developers.oauth2.Validator.
    "OAUTH_PRE_TOKEN_VALIDATION": [],
    # RFC 8414 metadata: what this server actually offers.
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code", "token"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "implicit",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ],
}
# Requests per address and window to the token, revocation, introspection and device endpoints.
OAUTH_RATE_LIMIT = env_int("OAUTH_RATE_LIMIT", 60, minimum=1)
OAUTH_RATE_WINDOW = env_int("OAUTH_RATE_WINDOW", 60, minimum=1)

SILENCED_SYSTEM_CHECKS = [
    # GDAL 3.6 (Debian 12) cannot block network access while parsing spatial references;
    # this project never parses spatial-reference strings from users.
    "gis.W001",
    # The implicit grant is what the MTP Desktop Uploader uses; each application must opt in.
    "oauth2_provider.W001",
    # http redirect URIs are for native apps' loopback callbacks (RFC 8252); others are refused.
    "oauth2_provider.W008",
    # HSTS preload is an operator's choice (MTP_HSTS_PRELOAD=1).
    "security.W021",
]

# Seconds a web process remembers which client_ids name active applications (public reads).
API_CLIENT_CACHE_SECONDS = env_int("MTP_API_CLIENT_CACHE_SECONDS", 30, minimum=0)

# Background work: imports, webhook deliveries and kept copies of photos are job rows in the
# same database, each kind a queue that ``mtp worker`` takes due rows from (``--queues`` to
# take only some; mtp/lib/jobs.py). A worker holds a lease on the job it runs and renews it;
# once a lease runs out unrenewed (the worker died), another worker takes the job over.
# MTP_IMPORT_LEASE_SECONDS is the setting's former name, still read when the new one is unset.
JOB_LEASE_SECONDS = env_int(
    "MTP_JOB_LEASE_SECONDS", 60, minimum=2, former="MTP_IMPORT_LEASE_SECONDS"
)

# Who may create capture challenges: "staff" (the default) or "everyone" signed in; and the
# largest area a challenge may cover, in square kilometres.
MTP_CHALLENGE_CREATORS = env_choice("MTP_CHALLENGE_CREATORS", "staff", ("staff", "everyone"))
MTP_CHALLENGE_MAX_AREA_KM2 = env_float("MTP_CHALLENGE_MAX_AREA_KM2", 5000.0, minimum=0.001)

# Web origins whose pages may call the API (CORS, mtp/lib/cors.py): * for any, empty for none.
MTP_CORS_ORIGINS = env_origins("MTP_CORS_ORIGINS", ["*"])

# How long browsers and caches may keep a vector tile, in seconds.
TILES_MAX_AGE = env_int("MTP_TILES_MAX_AGE", 300, minimum=0)
# Tiles each web process keeps in memory (megabytes, 0 for none), and how often, in seconds,
# it asks whether the map's data changed meanwhile (mtp/tiles/cache.py).
MTP_TILE_CACHE_MB = env_int("MTP_TILE_CACHE_MB", 64, minimum=0)
MTP_TILE_CACHE_CHECK = env_float("MTP_TILE_CACHE_CHECK", 1.0, minimum=0.0)

# The website's base map under the routes: a raster tile URL template, empty for none, and
# the attribution its provider asks for (HTML, shown on every map).
MTP_BASEMAP_TILE_URL = env_tile_url(
    "MTP_BASEMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
MTP_BASEMAP_ATTRIBUTION = env_str(
    "MTP_BASEMAP_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
MTP_BASEMAP_MAX_ZOOM = env_int("MTP_BASEMAP_MAX_ZOOM", 19, minimum=0, maximum=24)

# Mapillary Graph API v4.
MAPILLARY_API_URL = env_url("MAPILLARY_API_URL", "https://graph.mapillary.com")
MAPILLARY_TIMEOUT = env_int("MAPILLARY_TIMEOUT", 30, minimum=1)
# Image details are fetched in batches of MAPILLARY_BATCH_SIZE ids, MAPILLARY_CONCURRENCY at a
# time. Mapillary's request limit is per application, shared by every import of the instance;
# 4 keeps one import close to the pace of the network on two cores (bench/import).
MAPILLARY_BATCH_SIZE = env_int("MAPILLARY_BATCH_SIZE", 100, minimum=1, maximum=500)
MAPILLARY_CONCURRENCY = env_int("MAPILLARY_CONCURRENCY", 4, minimum=1, maximum=50)
# Retries of a failed Mapillary request, the first waiting about MAPILLARY_BACKOFF seconds.
# Waits double up to a minute each: 10 retries from 0.5 s add up to 2 to 4 minutes, so an
# import rides out Mapillary down for a minute or two (mtp/imports/tests/test_faults.py).
MAPILLARY_RETRIES = env_int("MAPILLARY_RETRIES", 10, minimum=0, maximum=20)
MAPILLARY_BACKOFF = env_float("MAPILLARY_BACKOFF", 0.5, minimum=0)
# The instance's own Mapillary application token (MLY|<app id>|<client secret>), kept on the
# server and sent only in a header: photo links are resolved with it (mtp/sequences/photos.py).
MAPILLARY_CLIENT_TOKEN = env_str("MAPILLARY_CLIENT_TOKEN", "")
# Kept copies (256 px) of every published photo, in the default storage: on or off, and how
# many photos one worker fetches at once (mtp/sequences/keeper.py).
MTP_KEEP_PHOTOS = env_bool("MTP_KEEP_PHOTOS", True)
MTP_KEEP_PHOTOS_CONCURRENCY = env_int("MTP_KEEP_PHOTOS_CONCURRENCY", 4, minimum=1, maximum=32)
# Photos uploaded here (mtp/uploads, docs/UPLOAD.md): the largest photo taken, and how an
# upload set is cut into sequences unless it says otherwise: a new one after a gap of more than
# this many metres or seconds; a photo within this many metres and degrees of the one before
# it is a duplicate (Panoramax's defaults, given to clients by /api/configuration).
MTP_MAX_PHOTO_BYTES = env_int("MTP_MAX_PHOTO_BYTES", 64 * 1024 * 1024, minimum=1024)
MTP_UPLOAD_SPLIT_DISTANCE = 100
MTP_UPLOAD_SPLIT_TIME = 60
MTP_UPLOAD_DUPLICATE_DISTANCE = 1.0
MTP_UPLOAD_DUPLICATE_ROTATION = 60
# Transfers of collections from other instances (POST /api/transfers, panoramax_cli
# migration): plain http to the loopback interface and instances at private addresses are off
# in production, as for webhooks; the most photos one transfer takes.
TRANSFER_ALLOW_HTTP = env_bool("MTP_TRANSFER_ALLOW_HTTP", DEBUG)
TRANSFER_ALLOW_PRIVATE = env_bool("MTP_TRANSFER_ALLOW_PRIVATE", False)
TRANSFER_MAX_PHOTOS = env_int("MTP_TRANSFER_MAX_PHOTOS", 10_000, minimum=1)
# A repeated import of an already imported key within this many seconds changes nothing.
IMPORT_REFRESH_COOLDOWN = env_int("MTP_IMPORT_COOLDOWN", 3600, minimum=0)

# Webhooks (docs/WEBHOOKS.md): seconds before a receiver's reply times out, attempts before a
# delivery is given up, and the first wait between attempts (it doubles, with jitter).
WEBHOOK_TIMEOUT = env_float("MTP_WEBHOOK_TIMEOUT", 10, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env_int("MTP_WEBHOOK_ATTEMPTS", 12, minimum=1, maximum=50)
WEBHOOK_BACKOFF = env_float("MTP_WEBHOOK_BACKOFF", 60, minimum=0)
# Plain http to the loopback interface, and receivers at private addresses: off in production.
WEBHOOK_ALLOW_HTTP = env_bool("MTP_WEBHOOK_ALLOW_HTTP", DEBUG)
WEBHOOK_ALLOW_PRIVATE = env_bool("MTP_WEBHOOK_ALLOW_PRIVATE", False)
# A CA bundle for receivers' certificates (default: the certifi bundle).
WEBHOOK_CA_FILE = env_str("MTP_WEBHOOK_CA_FILE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Never let a library's debug output carry tokens into the logs.
        "oauthlib": {"level": "WARNING"},
        "oauth2_provider": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
