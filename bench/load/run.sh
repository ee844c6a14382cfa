#!/usr/bin/env bash
# Load benchmark: one run reports every load figure of docs/PERFORMANCE.md, for SQLite
# and PostgreSQL side by side, and fails if an acknowledged request was lost.
#
#   bench/load/run.sh                      # both backends, release build, 50,000 requests
#   bench/load/run.sh sqlite               # one backend: sqlite or postgres
#   DURATION=15s bench/load/run.sh         # shorter phases
#   BENCH_SMOKE=1 bench/load/run.sh        # tiny run (CI): debug binary, FILL=500,
#                                          # DURATION=2s; fails on any error status
#
# For each backend, in this order:
#   fresh    the portal started in an empty folder (SQLite) or an empty database
#            (PostgreSQL): its start-up peak (VmHWM as soon as it answers, before any
#            load) and its idle RSS (VmRSS IDLE_WAIT seconds later);
#   fill     FILL requests (default 50000, OPEN_SHARE of them open, default 1.0) written
#            by the binary's hidden `bench-fill` command: no Rust toolchain needed;
#   serve    the portal on the filled database, mail worker on, writing .eml files,
#            rate limits off and the limit of requests in progress per address raised
#            (every wrk connection comes from 127.0.0.1); then the phases of PHASES
#            (default "intake seq queue"):
#   intake   POST /api/v1/requests, every request a different person, through the whole
#            path (validation, encryption, insert, audit, outbox), at each of CONNS
#            (default "16 64") connections for DURATION (default 20s);
#   seq      the same on ONE keep-alive connection (wrk -c1 -t1): the sequential p50;
#   queue    GET /staff, the first page of the queue, as a logged-in admin, at
#            QUEUE_CONNS (default 16) connections;
#   status   (optional) GET /status/{token} of one consumer's status page at CONNS;
#   then     waits until the worker has sent every email (at most MAIL_WAIT seconds),
#            stops the portal and reads the database: requests stored against those
#            answered 202 (fails the script if any is missing), bytes per request (whole
#            database and outbox; SQLite: dbstat, PostgreSQL: pg_total_relation_size)
#            and the WAL (largest size sampled during the intake phases, and after
#            shutdown). The 1-minute load average is read before and after each phase.
# The final table holds every figure; the phase logs are kept in $LOAD_KEEP when set.
#
# Other knobs: PORTAL_BIN (default: target/release/dsar-portal, built first; the smoke
# run uses target/debug/dsar-portal), LOAD_PORT (18480), LOAD_PG_ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/test; the run creates and drops the databases
# dsar_load and dsar_load_fresh there), LOAD_PG_QUERY (connection options for the
# portal, e.g. "?sslmode=disable"), STRICT=1 (fail on any unexpected status or socket
# error; on in the smoke run). Needs wrk (apt-get install wrk), curl, python3, psql.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
backends="${1:-sqlite postgres}"
smoke="${BENCH_SMOKE:-0}"
if [ "$smoke" = 1 ]; then
  duration="${DURATION:-2s}"; fill="${FILL:-500}"; idle_wait="${IDLE_WAIT:-1}"
  mail_wait="${MAIL_WAIT:-60}"; strict="${STRICT:-1}"; profile=debug
else
  duration="${DURATION:-20s}"; fill="${FILL:-50000}"; idle_wait="${IDLE_WAIT:-5}"
  mail_wait="${MAIL_WAIT:-600}"; strict="${STRICT:-0}"; profile=release
fi
phases="${PHASES:-intake seq queue}"
conns="${CONNS:-16 64}"
queue_conns="${QUEUE_CONNS:-16}"
open_share="${OPEN_SHARE:-1.0}"
port="${LOAD_PORT:-18480}"
base="http://127.0.0.1:$port"
pg_admin="${LOAD_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
export PGOPTIONS="${PGOPTIONS:---client-min-messages=warning}"
for backend in $backends; do
  case "$backend" in sqlite|postgres) ;; *) echo "backend must be sqlite or postgres" >&2; exit 2 ;; esac
done
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y $tool)" >&2; exit 2; }
done
case " $backends " in *" postgres "*) command -v psql >/dev/null || { echo "psql is missing" >&2; exit 2; } ;; esac
if [ -z "${PORTAL_BIN:-}" ]; then
  if [ "$profile" = release ]; then
    (cd "$root" && cargo build --release --quiet --bin dsar-portal)
  else
    (cd "$root" && cargo build --quiet --bin dsar-portal)
  fi
fi
bin="$(realpath "${PORTAL_BIN:-$root/target/$profile/dsar-portal}")"

work="$(mktemp -d)"
pid=""
sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  case " $backends " in
    *" postgres "*) psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS dsar_load WITH (FORCE)" \
      -c "DROP DATABASE IF EXISTS dsar_load_fresh WITH (FORCE)" >/dev/null 2>&1 || true ;;
  esac
  if [ -n "${LOAD_KEEP:-}" ]; then mkdir -p "$LOAD_KEEP" && cp -r "$work"/. "$LOAD_KEEP"/; fi
  rm -rf "$work"
}
trap cleanup EXIT

declare -A R   # results: R[backend.key]
load1() { cut -d' ' -f1 /proc/loadavg; }
mib() { awk -v k="$2" '$1 == k":" {printf "%.1f", $2/1024}' "/proc/$1/status"; }
die() { echo "$*" >&2; [ -f "${dir:-}/serve.log" ] && tail -n 20 "$dir/serve.log" >&2; exit 1; }

# A folder with the portal's config for one start; prints the database URL to use.
setup() { # dir db-name(postgres)|""
  local d="$1" name="$2"
  mkdir -p "$d"
  cat > "$d/dsar-portal.toml" <<TOML
bind = "127.0.0.1:$port"
data_dir = "$d/data"
log = "warn"
database_pool_size = 16
[rate_limits]
enabled = false
[limits]
requests_per_client = 1024
TOML
  if [ -n "$name" ]; then
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
    # LOAD_PG_QUERY adds connection options, e.g. "?sslmode=disable" (libpq negotiates
    # TLS on loopback too when the server has it on, as Debian's does).
    echo "${pg_admin%/*}/$name${LOAD_PG_QUERY:-}"
  else
    echo "$d/data/dsar-portal.sqlite3"
  fi
}
portal() { (cd "$dir" && DATABASE_URL="$db_url" exec "$bin" --config "$dir/dsar-portal.toml" "$@"); }
start() {
  if curl -s -o /dev/null "$base/healthz"; then die "port $port is already in use (another portal?); set LOAD_PORT"; fi
  (cd "$dir" && DATABASE_URL="$db_url" exec "$bin" --config "$dir/dsar-portal.toml" serve) > "$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return 0; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  die "the portal did not start"
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

# One wrk run; sets W_RPS W_P50 W_P99 W_MAX W_OK (answers with the expected status) and
# W_ERR (any other status, and socket errors).
run_wrk() { # name conns threads script expected-status
  local name="$1" c="$2" t="$3" script="$4" want="$5" out before
  before="$(load1)"
  # A generous timeout: a slow answer is measured in the percentiles, not dropped from
  # them as a socket timeout (wrk's default gives up after 2 s).
  out="$(LOAD_RUN="$name$c" wrk -t"$t" -c"$c" -d"$duration" --timeout 30s --latency -s "$here/$script" "$base")"
  echo "$out" > "$dir/wrk-$name-$c.txt"
  W_RPS="$(echo "$out" | awk '/^Requests\/sec:/ {printf "%.0f", $2}')"
  W_P50="$(echo "$out" | awk '/^p50 / {print $2}')"
  W_P99="$(echo "$out" | awk '/^p50 / {print $8}')"
  W_MAX="$(echo "$out" | awk '/^p50 / {print $11}')"
  W_OK="$(echo "$out" | awk -v s="$want" '$1 == "status" && $2 == s":" {n += $3} END {print n + 0}')"
  W_ERR="$(echo "$out" | awk -v s="$want" '
    $1 == "status" && $2 != s":" {n += $3}
    /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10}
    END {print n + 0}')"
  W_LOAD="load $before→$(load1)"
  printf '   %-8s %3s conns: %s req/s, p50 %s ms, p99 %s ms, max %s ms, %s × %s, %s errors (%s)\n' \
    "$name" "$c" "$W_RPS" "$W_P50" "$W_P99" "$W_MAX" "$W_OK" "$want" "$W_ERR" "$W_LOAD"
  if [ "$strict" = 1 ] && [ "$W_ERR" != 0 ]; then echo "$out" >&2; die "$name at $c connections: $W_ERR error(s) (STRICT)"; fi
  if [ "$W_OK" = 0 ]; then echo "$out" >&2; die "$name at $c connections: no request answered $want"; fi
}
cell() { echo "$W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, $W_ERR errors ($W_LOAD)"; }

sql() { # query: one value from the backend's database
  case "$backend" in
    sqlite) python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$db_url" "$1" ;;
    postgres) psql -tA "$db_url" -c "$1" ;;
  esac
}
# "total outbox" bytes in use: SQLite's pages (dbstat) or PostgreSQL's relations with
# their indexes and TOAST, of the portal's tables only.
db_bytes() {
  case "$backend" in
    sqlite) python3 - "$db_url" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON d.name = m.name GROUP BY m.tbl_name").fetchall()
print(sum(n for _, n in rows), sum(n for t, n in rows if t == "outbox"))
PY
    ;;
    postgres) psql -tA -F' ' "$db_url" -c "SELECT sum(pg_total_relation_size(c.oid))::bigint,
        pg_total_relation_size('outbox') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'" ;;
  esac
}
wal_file() { [ "$backend" = sqlite ] && echo "$db_url-wal" || echo ""; }
wal_size() { local f; f="$(wal_file)"; [ -n "$f" ] && [ -f "$f" ] && stat -c %s "$f" || echo 0; }

echo "cores: $(nproc)   binary: $bin   fill: $fill   phases: $phases, $duration each"
for backend in $backends; do
  pgname() { [ "$backend" = postgres ] && echo "$1" || echo ""; }
  echo "== $backend"

  # Fresh start: nothing in the folder or the database yet.
  dir="$work/$backend-fresh"; db_url="$(setup "$dir" "$(pgname dsar_load_fresh)")"
  start
  R[$backend.peak]="$(mib "$pid" VmHWM)"
  sleep "$idle_wait"
  R[$backend.idle]="$(mib "$pid" VmRSS)"
  stop
  echo "   fresh start: start-up peak ${R[$backend.peak]} MiB, idle ${R[$backend.idle]} MiB after ${idle_wait} s"

  # Fill.
  dir="$work/$backend"; db_url="$(setup "$dir" "$(pgname dsar_load)")"
  portal migrate >/dev/null
  printf 'load-bench-password-1' | portal staff add --email load-admin@example.com --role admin >/dev/null
  before="$(load1)"
  out="$(portal bench-fill --requests "$fill" --open-share "$open_share")"
  echo "   $out"
  R[$backend.fill]="$(echo "$out" | sed -n 's/.*: \([0-9]*\) request(s), \([0-9]*\) open.* in \([0-9.]*\) s$/\1 requests (\2 open) in \3 s/p') (load $before→$(load1))"
  filled="$(sql 'SELECT count(*) FROM requests')"
  read -r bytes_before outbox_before < <(db_bytes)

  start
  acknowledged=0
  for phase in $phases; do
    case "$phase" in
      intake)
        # The WAL's size, sampled through the intake phases; its largest is kept.
        ( max=0; while :; do s="$(wal_size)"; [ "$s" -gt "$max" ] && { max="$s"; echo "$max" > "$dir/wal-max"; }; sleep 0.2; done ) &
        sampler=$!
        for c in $conns; do
          run_wrk intake "$c" 2 intake_api.lua 202
          acknowledged=$((acknowledged + W_OK))
          R[$backend.intake$c]="$(cell)"; R[$backend.p99_$c]="$W_P99"
        done
        kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler="" ;;
      seq)
        run_wrk seq 1 1 intake_api.lua 202
        acknowledged=$((acknowledged + W_OK))
        R[$backend.seq]="p50 $W_P50 ms, $W_RPS req/s, p99 $W_P99 ms, $W_ERR errors ($W_LOAD)" ;;
      queue)
        jar="$dir/cookies"
        csrf="$(curl -fsS -c "$jar" "$base/staff/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
        curl -fsS -b "$jar" -c "$jar" -o /dev/null -H "Origin: $base" \
          --data-urlencode "csrf_token=$csrf" --data-urlencode "email=load-admin@example.com" \
          --data-urlencode "password=load-bench-password-1" "$base/staff/login"
        cookie="$(awk '$6 == "dsar_session" {print $6 "=" $7}' "$jar")"
        [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/staff")" = 200 ] || die "staff login failed"
        LOAD_PATH="/staff" LOAD_COOKIE="$cookie" run_wrk queue "$queue_conns" 2 get_path.lua 200
        R[$backend.queue]="$(cell)" ;;
      status)
        # An opt-out needs no verification and mails its status link at once.
        curl -fsS -H 'Content-Type: application/json' "$base/api/v1/requests" -d \
          '{"kind":"opt_out","jurisdiction":"california","name":"Status Reader","email":"status-reader@example.com"}' >/dev/null
        acknowledged=$((acknowledged + 1))
        link=""; waited=0
        while [ -z "$link" ] && [ "$waited" -lt "$mail_wait" ]; do
          link="$(grep -rla "status-reader@example.com" "$dir/data/mail" 2>/dev/null | head -n1 | xargs -r grep -hoa "/status/[A-Za-z0-9_-]*" | head -n1 || true)"
          [ -n "$link" ] || { sleep 1; waited=$((waited + 1)); }
        done
        [ -n "$link" ] || die "no status link was mailed within $mail_wait s"
        for c in $conns; do LOAD_PATH="$link" run_wrk status "$c" 2 get_path.lua 200; R[$backend.status$c]="$(cell)"; done ;;
      *) die "unknown phase $phase" ;;
    esac
  done

  # Every email sent before the database is read.
  waited=0
  while [ "$(sql "SELECT count(*) FROM outbox WHERE status = 'pending'")" != 0 ]; do
    [ "$waited" -lt "$mail_wait" ] || die "emails still pending after $mail_wait s"
    sleep 1; waited=$((waited + 1))
  done
  R[$backend.mail]="every email sent ${waited} s after the last phase; $(find "$dir/data/mail" -name '*.eml' 2>/dev/null | wc -l) .eml files"
  R[$backend.hwm]="$(mib "$pid" VmHWM)"
  stop
  stored="$(sql 'SELECT count(*) FROM requests')"
  added=$((stored - filled))
  read -r bytes outbox_bytes < <(db_bytes)
  R[$backend.bytes]="$((bytes / stored)) B total, $((outbox_bytes / stored)) B outbox (over all $stored requests)"
  if [ "$added" -gt 0 ]; then
    R[$backend.delta]="$(((bytes - bytes_before) / added)) B total, $(((outbox_bytes - outbox_before) / added)) B outbox (over the $added added)"
  fi
  if [ "$backend" = sqlite ]; then
    R[$backend.wal]="$(awk '{printf "%.1f", $1/1048576}' "$dir/wal-max" 2>/dev/null || echo 0) MiB max during intake, $(awk -v s="$(wal_size)" 'BEGIN {printf "%.1f", s/1048576}') MiB after shutdown"
  fi
  R[$backend.lost]="$acknowledged answered 202, $added stored"
  echo "   ${R[$backend.mail]}; ${R[$backend.lost]}"
  [ "$added" -ge "$acknowledged" ] || die "LOST REQUESTS on $backend: $acknowledged answered 202, only $added stored"
  if [ -n "${R[$backend.p99_16]:-}" ] && [ -n "${R[$backend.p99_64]:-}" ]; then
    R[$backend.ratio]="$(awk -v a="${R[$backend.p99_64]}" -v b="${R[$backend.p99_16]}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')"
  fi
done

echo
echo "Load benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $fill requests filled, $duration per phase"
header="| figure |"; rule="|---|"
for backend in $backends; do header="$header $backend |"; rule="$rule---|"; done
echo "$header"; echo "$rule"
row() { # label key
  local line="| $1 |"
  for backend in $backends; do line="$line ${R[$backend.$2]:-—} |"; done
  echo "$line"
}
row "start-up peak (VmHWM, fresh start), MiB" peak
row "idle RSS ${idle_wait} s after a fresh start, MiB" idle
row "fill (bench-fill)" fill
for c in $conns; do row "intake, $c connections" "intake$c"; done
row "p99 ratio, 64 / 16 connections" ratio
row "sequential intake, 1 keep-alive connection" seq
row "staff queue (GET /staff), $queue_conns connections" queue
case " $phases " in *" status "*) for c in $conns; do row "status page, $c connections" "status$c"; done ;; esac
row "WAL (SQLite)" wal
row "bytes per request once mail is sent" bytes
row "bytes per intake request (growth over the run)" delta
row "mail" mail
row "peak RSS under load (VmHWM), MiB" hwm
row "lost-request check" lost
