#!/usr/bin/env bash
# Resource bounds under attack: stalled request bodies and concurrent logins, against a
# release build of the portal on loopback (127.0.0.0/8 only; bounded in count and time).
#
#   bench/conn/run.sh
#
#   stalled  STALLED (default 1500) connections send the head of POST /staff/login with
#            Content-Length: 60000 and then nothing, spread over ADDRS (default 60)
#            source addresses 127.0.0.2…; meanwhile /healthz is timed from 127.0.0.1.
#            Prints how long the server took to close them, the answers, its peak fds.
#            Then one address alone opens 200 (what one client can hold).
#   logins   LOGINS (default 100) logins at once, each from its own address 127.0.1.x
#            (the per-address login limit stays out of the way). Prints the RSS before,
#            peak and after, the thread count and the answers (303, 401, 429, 503…).
# Defaults of the portal otherwise ([limits] as shipped). Needs python3 and curl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${CONN_PORT:-18490}"
bin="$(realpath "${PORTAL_BIN:-$root/target/release/dsar-portal}")"
if [ -z "${PORTAL_BIN:-}" ]; then (cd "$root" && cargo build --release --quiet --bin dsar-portal); fi

work="$(mktemp -d)"
pid=""
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/dsar-portal.toml" <<TOML
bind = "127.0.0.1:$port"
data_dir = "$work/data"
log = "warn"
TOML
portal() { (cd "$work" && exec "$bin" --config "$work/dsar-portal.toml" "$@"); }
portal migrate >/dev/null
printf 'conn-bench-password-1' | portal staff add --email conn-admin@example.com --role admin >/dev/null
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "port $port is already in use; set CONN_PORT" >&2; exit 1
fi
(cd "$work" && exec "$bin" --config "$work/dsar-portal.toml" serve) > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
echo "portal pid $pid, open-file limit $(awk '/Max open files/ {print $4}' /proc/$pid/limits), $(nproc) cores"
python3 "$here/attack.py" stalled --port "$port" --pid "$pid" --count "${STALLED:-1500}" --addrs "${ADDRS:-60}"
python3 "$here/attack.py" stalled --port "$port" --pid "$pid" --count 200 --addrs 1
python3 "$here/attack.py" logins --port "$port" --pid "$pid" --count "${LOGINS:-100}" \
  --email conn-admin@example.com --password conn-bench-password-1
