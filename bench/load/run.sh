#!/usr/bin/env bash
# Load benchmark: drives a release build of the portal with wrk on loopback.
#
#   bench/load/run.sh [sqlite|postgres]
#
# Phases (env PHASES, default "intake status queue"):
#   intake  sustained POST /api/v1/requests, every request a different person, through the
#           whole path (validation, encryption, insert, audit, outbox);
#   status  GET of a consumer status page (/status/{token});
#   queue   GET of the staff queue (/staff) with a logged-in session.
# Each phase runs at CONNS (default "16 64") connections for DURATION (default 20s).
# Rate limits are switched off for the run. Afterwards the script checks that every
# acknowledged request (202) is in the database, and prints the portal's peak RSS.
# postgres uses $LOAD_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test) to
# create a fresh database dsar_load (options for the portal's connections in $LOAD_PG_QUERY).
# Needs wrk (apt-get install wrk) and curl.
set -euo pipefail

backend="${1:-sqlite}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
phases="${PHASES:-intake status queue}"
conns="${CONNS:-16 64}"
duration="${DURATION:-20s}"
port="${LOAD_PORT:-18480}"
bin="$(realpath "${PORTAL_BIN:-$root/target/release/dsar-portal}")"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
if [ -z "${PORTAL_BIN:-}" ]; then (cd "$root" && cargo build --release --quiet --bin dsar-portal); fi

work="$(mktemp -d)"
pid=""
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/dsar-portal.toml" <<TOML
bind = "127.0.0.1:$port"
data_dir = "$work/data"
log = "warn"
database_pool_size = 16
[rate_limits]
enabled = false
TOML
case "$backend" in
  sqlite) db_url="$work/data/dsar-portal.sqlite3" ;;
  postgres)
    admin="${LOAD_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
    psql -q "$admin" -c "DROP DATABASE IF EXISTS dsar_load" -c "CREATE DATABASE dsar_load"
    # LOAD_PG_QUERY adds connection options, e.g. "?sslmode=disable" (libpq negotiates TLS
    # on loopback too when the server has it on, as Debian's does).
    db_url="${admin%/*}/dsar_load${LOAD_PG_QUERY:-}" ;;
  *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac
export DATABASE_URL="$db_url"
portal() { (cd "$work" && exec "$bin" --config "$work/dsar-portal.toml" "$@"); }

portal migrate >/dev/null
printf 'load-bench-password-1' | portal staff add --email load-admin@example.com --role admin >/dev/null
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "port $port is already in use (another portal?); set LOAD_PORT" >&2; exit 1
fi
(cd "$work" && exec "$bin" --config "$work/dsar-portal.toml" serve) > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null || { echo "the portal did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
base="http://127.0.0.1:$port"
echo "backend: $backend   cores: $(nproc)   load before: $(cut -d' ' -f1-3 /proc/loadavg)"

run_wrk() { # name conns script [env...]
  local name="$1" c="$2" script="$3"
  echo "== $name, $c connections, $duration"
  wrk -t2 -c"$c" -d"$duration" --latency -s "$here/$script" "$base" \
    | grep -E 'Requests/sec|^status|^p50|Non-2xx|Socket errors'
}

acknowledged=0
for phase in $phases; do
  case "$phase" in
    intake)
      for c in $conns; do
        out="$(run_wrk "intake (POST /api/v1/requests)" "$c" intake_api.lua)"; echo "$out"
        n="$(echo "$out" | awk '/^status 202:/ {print $3}')"; acknowledged=$((acknowledged + ${n:-0}))
      done ;;
    status)
      # An opt-out needs no verification and mails its status link at once.
      curl -fsS -H 'Content-Type: application/json' "$base/api/v1/requests" -d \
        '{"kind":"opt_out","jurisdiction":"california","name":"Status Reader","email":"status-reader@example.com"}' >/dev/null
      acknowledged=$((acknowledged + 1))
      # It is mailed after the intake phase's backlog, so this also times the outbox.
      link=""; waited=0
      while [ -z "$link" ] && [ "$waited" -lt 600 ]; do
        link="$(grep -rla "status-reader@example.com" "$work/data/mail" 2>/dev/null | head -n1 | xargs -r grep -hoa "/status/[A-Za-z0-9_-]*" | head -n1 || true)"
        [ -n "$link" ] || { sleep 1; waited=$((waited + 1)); }
      done
      [ -n "$link" ] || { echo "no status link was mailed within 600 s; the portal's log ends:" >&2; tail -n 20 "$work/serve.log" >&2; exit 1; }
      echo "outbox: $(find "$work/data/mail" -name '*.eml' | wc -l) emails written; the last one after ${waited} s" 
      for c in $conns; do LOAD_PATH="$link" run_wrk "status page (GET /status/{token})" "$c" get_path.lua; done ;;
    queue)
      jar="$work/cookies"
      csrf="$(curl -fsS -c "$jar" "$base/staff/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
      curl -fsS -b "$jar" -c "$jar" -o /dev/null -H "Origin: $base" \
        --data-urlencode "csrf_token=$csrf" --data-urlencode "email=load-admin@example.com" \
        --data-urlencode "password=load-bench-password-1" "$base/staff/login"
      cookie="$(awk '$6 == "dsar_session" {print $6 "=" $7}' "$jar")"
      [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/staff")" = 200 ] \
        || { echo "staff login failed" >&2; exit 1; }
      for c in $conns; do LOAD_PATH="/staff" LOAD_COOKIE="$cookie" run_wrk "staff queue (GET /staff, 25 per page)" "$c" get_path.lua; done ;;
    *) echo "unknown phase $phase" >&2; exit 2 ;;
  esac
done

echo "peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status)   load after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$pid"; wait "$pid" 2>/dev/null || true
case "$backend" in
  sqlite) stored="$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from requests').fetchone()[0])" "$db_url")" ;;
  postgres) stored="$(psql -tA "$db_url" -c 'select count(*) from requests')" ;;
esac
echo "acknowledged (202): $acknowledged   stored: $stored"
[ "$stored" -ge "$acknowledged" ] || { echo "LOST REQUESTS" >&2; exit 1; }
