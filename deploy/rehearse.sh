#!/usr/bin/env bash
# Rehearse docs/DEPLOY.md on one machine, with the files in deploy/:
#   PostgreSQL + PostGIS (a role and a database of its own), one environment file per
#   "machine" made from deploy/mtp.env.example, `mtp migrate` once, two `mtp serve --no-worker`
#   behind a TLS proxy (nginx with deploy/nginx/mtp.conf, or Caddy with deploy/caddy/Caddyfile
#   when given --caddy), two `mtp worker`s, the Mapillary stand-in; then an import through the
#   proxy, one web machine going down, a pg_dump backup restored into a new database, the
#   systemd units checked by systemd-analyze, and a SpatiaLite online backup.
#
# Usage: deploy/rehearse.sh [--caddy]
# Needs: this checkout set up (scripts/setup.sh --postgis); a local PostgreSQL with PostGIS
# where PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) may create roles
# and databases; nginx (or caddy), openssl, curl, sqlite3. Everything it starts is stopped,
# and what it created is dropped, when it ends (the logs stay when it fails, or with
# KEEP_LOGS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
proxy=nginx
[ "${1:-}" = "--caddy" ] && proxy=caddy
admin=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
pg_base=${admin%/*}
name=mtp_rehearsal_$$
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
work=$(mktemp -d /tmp/mtp-rehearsal.XXXXXX)
host=mtp.rehearsal.test
pids=()

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'rehearse: FAILED: %s\n' "$*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() {  # start LOG COMMAND...: run in a session of its own, remember it
  local log=$1
  shift
  setsid "$@" >"$work/$log.log" 2>&1 &
  pids+=($!)
}
stop_group() { kill -TERM -- "-$1" 2>/dev/null || true; }
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do stop_group "$pid"; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $name" -c "DROP DATABASE IF EXISTS ${name}_restored" \
    -c "DROP ROLE IF EXISTS $name" >/dev/null 2>&1 || true
  if [ "$status" != 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
    echo "rehearse: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
curl_site() { curl -sS -k --max-time 10 --resolve "$host:$https_port:127.0.0.1" "$@"; }
mtp_env() { MTP_ENV_FILE="$1" MTP_HOME="$root" "$root/deploy/mtp-env" "${@:2}"; }

say "PostgreSQL: a role, a database owned by it, PostGIS"
psql -q -v ON_ERROR_STOP=1 "$admin" \
  -c "CREATE ROLE $name LOGIN PASSWORD '$password'" \
  -c "CREATE DATABASE $name OWNER $name"
psql -q -v ON_ERROR_STOP=1 "$pg_base/$name" -c "CREATE EXTENSION postgis"
database_url="postgres://$name:$password@127.0.0.1:5432/$name"

say "Environment files from deploy/mtp.env.example"
mapillary_port=$(free_port)
https_port=$(free_port)
http_port=$(free_port)
port_a=$(free_port)
port_b=$(free_port)
secret_key=$(python3 -c "import secrets; print(secrets.token_urlsafe(50))")
make_env() {  # make_env FILE PORT DATA_DIR [DATABASE_URL]
  sed -e "s#^DATABASE_URL=.*#DATABASE_URL=${4:-$database_url}#" \
    -e "s#^SECRET_KEY=.*#SECRET_KEY=$secret_key#" \
    -e "s#^SITE_URL=.*#SITE_URL=https://$host:$https_port#" \
    -e "s#^ALLOWED_HOSTS=.*#ALLOWED_HOSTS=$host#" \
    -e "s#^CSRF_TRUSTED_ORIGINS=.*#CSRF_TRUSTED_ORIGINS=https://$host:$https_port#" \
    -e "s#^MTP_DATA_DIR=.*#MTP_DATA_DIR=$3#" \
    -e "s#^MTP_HOST=.*#MTP_HOST=127.0.0.1#" \
    -e "s#^MTP_PORT=.*#MTP_PORT=$2#" \
    -e "s#^MAPILLARY_API_URL=.*#MAPILLARY_API_URL=http://127.0.0.1:$mapillary_port#" \
    deploy/mtp.env.example >"$1"
  # The stand-in's retries need not wait long.
  echo "MAPILLARY_BACKOFF=0.05" >>"$1"
  grep -q CHANGE-ME "$1" && fail "$1 still has a CHANGE-ME value"
  return 0
}
make_env "$work/a.env" "$port_a" "$work/machine-a"
make_env "$work/b.env" "$port_b" "$work/machine-b"
mtp_env "$work/a.env" check --deploy --fail-level ERROR

say "mtp migrate and mtp createcachetable, once, before any server starts"
mtp_env "$work/a.env" migrate --no-input | tail -n 1
mtp_env "$work/a.env" createcachetable
mtp_env "$work/a.env" migrate --check && echo "no migration left to apply"

say "The Mapillary stand-in, two web machines, two workers"
start mapillary .venv/bin/python -m testing.fake_mapillary --port "$mapillary_port" \
  --sequence demo-walk=300
start web-a env MTP_ENV_FILE="$work/a.env" MTP_HOME="$root" deploy/mtp-env serve --no-worker
start web-b env MTP_ENV_FILE="$work/b.env" MTP_HOME="$root" deploy/mtp-env serve --no-worker
start worker-1 env MTP_ENV_FILE="$work/a.env" MTP_HOME="$root" deploy/mtp-env worker
start worker-2 env MTP_ENV_FILE="$work/b.env" MTP_HOME="$root" deploy/mtp-env worker
wait_for() {  # wait_for WHAT COMMAND...
  local what=$1
  shift
  for _ in $(seq 1 240); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  fail "$what did not come up (logs in $work)"
}
for port in "$port_a" "$port_b"; do
  wait_for "the web server on port $port" curl -sf -H "Host: $host" "http://127.0.0.1:$port/healthz"
done

say "The TLS proxy: $proxy"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$host" \
  -addext "subjectAltName=DNS:$host" -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
if [ "$proxy" = nginx ]; then
  mkdir -p "$work/nginx"
  sed -e "s#mtp.example.org#$host#g" \
    -e "s#/etc/letsencrypt/live/$host/fullchain.pem#$work/tls.crt#" \
    -e "s#/etc/letsencrypt/live/$host/privkey.pem#$work/tls.key#" \
    -e "/server 10.0.0.13:8000/d" \
    -e "s#10.0.0.11:8000#127.0.0.1:$port_a#" -e "s#10.0.0.12:8000#127.0.0.1:$port_b#" \
    -e "s#listen 80;#listen 127.0.0.1:$http_port;#" -e "s#listen 443 ssl#listen 127.0.0.1:$https_port ssl#" \
    -e "/listen \[::\]/d" -e "s#root /var/www/acme;#root $work/acme;#" \
    deploy/nginx/mtp.conf >"$work/nginx/mtp.conf"
  cat >"$work/nginx/nginx.conf" <<EOF
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events {}
http {
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    include $work/nginx/mtp.conf;
}
EOF
  nginx -t -q -c "$work/nginx/nginx.conf" -g "daemon off;"
  start nginx nginx -c "$work/nginx/nginx.conf" -g "daemon off;"
else
  {
    printf '{\n\tadmin off\n\tskip_install_trust\n\thttp_port %s\n\thttps_port %s\n\tstorage file_system %s/caddy\n}\n\n' \
      "$http_port" "$https_port" "$work"
    sed -e "s#^mtp.example.org {#$host:$https_port {\n\ttls $work/tls.crt $work/tls.key#" \
      -e "s#Host mtp.example.org#Host $host#" \
      -e "s#10.0.0.11:8000 10.0.0.12:8000 10.0.0.13:8000#127.0.0.1:$port_a 127.0.0.1:$port_b#" \
      deploy/caddy/Caddyfile
  } >"$work/Caddyfile"
  caddy validate --adapter caddyfile --config "$work/Caddyfile" >/dev/null 2>&1 \
    || caddy validate --adapter caddyfile --config "$work/Caddyfile"
  start caddy env HOME="$work" XDG_DATA_HOME="$work" XDG_CONFIG_HOME="$work" \
    caddy run --adapter caddyfile --config "$work/Caddyfile"
fi
wait_for "the proxy" curl_site -f "https://$host:$https_port/healthz"
curl_site "https://$host:$https_port/healthz"
echo

say "An import through the proxy, run by the workers"
token=$(mtp_env "$work/a.env" shell -c "
import secrets
from datetime import timedelta
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value
from mtp.accounts.models import User
user = User.objects.create_user('rehearsal', 'rehearsal@example.org', secrets.token_urlsafe(16))
Application = get_application_model()
app = Application.objects.create(name='Rehearsal', user=user, client_type='public',
    authorization_grant_type='implicit', redirect_uris='app.mtp.desktop://app')
raw = secrets.token_urlsafe(32)
token = get_access_token_model()(user=user, application=app, scope='read write',
    expires=timezone.now() + timedelta(hours=1))
set_token_value(token, raw)
token.save()
print(raw)" | tail -n 1)
api="https://$host:$https_port/api/v1"
created=$(curl_site -f -X POST "$api/sequence/create/" -H "Authorization: Bearer $token" \
  -d name="Rehearsal walk" -d transport_type=Walk)
unique_id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["unique_id"])' "$created")
curl_site -f -X PUT "$api/sequence/import/$unique_id/" -H "Authorization: Bearer $token" \
  -H "Content-Type: application/json" \
  -d '{"mapillary_user_token": "MLY|4242|owner-token-0123", "mapillary_sequence_key": "demo-walk"}' \
  >/dev/null
published() {
  curl_site -f "$api/sequence/$unique_id" -H "Authorization: Bearer $token" \
    | python3 -c 'import json, sys; s = json.load(sys.stdin); sys.exit(s["status"] != "published")'
}
wait_for "the published sequence" published
curl_site "$api/sequence/$unique_id" -H "Authorization: Bearer $token" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("%s: %s, %s images, %s m" % (s["name"], s["status"], s["image_count"], s["distance_m"]))'

say "Database connections with every web thread busy"
seq 1 200 | xargs -P 40 -I{} curl -sS -k -o /dev/null --max-time 20 \
  --resolve "$host:$https_port:127.0.0.1" -H "Authorization: Bearer $token" \
  "$api/sequence/$unique_id" || fail "a request failed under load"
processes=$(sed -n 's/^MTP_WEB_WORKERS=//p' "$work/a.env")
threads=$(sed -n 's/^MTP_WEB_THREADS=//p' "$work/a.env")
connections=$(psql -Atq "$admin" -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '$name'")
echo "$connections connections; the most there can be: 2 machines x $processes processes" \
  "x $threads threads + 2 workers x 3 = $((2 * processes * threads + 2 * 3))"

say "Web machine a goes down: the proxy sends everything to b"
stop_group "${pids[1]}"
for _ in $(seq 1 100); do kill -0 "${pids[1]}" 2>/dev/null || break; sleep 0.1; done
for _ in $(seq 1 10); do
  curl_site -f -o /dev/null "https://$host:$https_port/healthz" || fail "a request failed with a machine down"
  curl_site -f -o /dev/null "$api/sequence/$unique_id" -H "Authorization: Bearer $token" \
    || fail "an API read failed with a machine down"
done
echo "20 requests answered with one machine down"

say "Backup with pg_dump, restore into a new database"
pg_dump --format=custom --file="$work/mtp.dump" "$database_url"
ls -l "$work/mtp.dump" | awk '{print $5 " bytes"}'
# As the PostgreSQL superuser: it creates PostGIS and gives every object back to its owner.
psql -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE ${name}_restored OWNER $name"
pg_restore --exit-on-error --dbname="$pg_base/${name}_restored" "$work/mtp.dump"
restored_url="postgres://$name:$password@127.0.0.1:5432/${name}_restored"
make_env "$work/restored.env" "$port_a" "$work/machine-a" "$restored_url"
mtp_env "$work/restored.env" migrate --check && echo "restored schema is complete"
mtp_env "$work/restored.env" shell -v 0 -c "
from mtp.sequences.models import Image, Sequence
s = Sequence.objects.get(unique_id='$unique_id')
assert s.status == 'published' and s.image_count == Image.objects.filter(sequence=s).count() > 0
print(f'restored: {s.name}, {s.image_count} images, route of {s.geometry.num_points} points')"

say "The systemd units (systemd-analyze verify)"
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$work/units"
  for unit in deploy/systemd/*.service deploy/systemd/*.timer; do
    sed -e "s#/opt/mtp/current#$root#g" -e "s#/etc/mtp/mtp.env#$work/a.env#" \
      -e "s#^User=mtp#User=root#" -e "s#^Group=mtp#Group=root#" "$unit" >"$work/units/$(basename "$unit")"
  done
  systemd-analyze verify "$work/units/mtp-web.service" "$work/units/mtp-worker.service" \
    "$work/units/mtp-worker@1.service" "$work/units/mtp-housekeeping.service" \
    "$work/units/mtp-housekeeping.timer" || fail "systemd-analyze found problems in the units"
  echo "no problems found"
else
  echo "systemd-analyze is not installed: skipped"
fi

say "SpatiaLite: an online backup with sqlite3 .backup"
lite="$work/lite"
env -u DATABASE_URL MTP_DATA_DIR="$lite" SECRET_KEY="$secret_key" .venv/bin/mtp migrate --no-input >/dev/null
sqlite3 "$lite/mtp.sqlite3" ".backup '$lite/backup.sqlite3'"
sqlite3 "$lite/backup.sqlite3" "PRAGMA integrity_check;"
env -u DATABASE_URL MTP_DATA_DIR="$lite" SECRET_KEY="$secret_key" \
  DATABASE_URL="spatialite:///$lite/backup.sqlite3" .venv/bin/mtp migrate --check \
  && echo "the backup opens with every migration applied"

if grep -h "Invalid HTTP_HOST" "$work"/web-*.log; then
  fail "a request (a health check?) came with a host name ALLOWED_HOSTS does not accept"
fi
say "Rehearsal passed ($proxy)"
