#!/usr/bin/env bash
# API fuzzing: schemathesis against the portal's own OpenAPI document
# (/api/v1/openapi.json), end to end: builds the portal, starts it on a free loopback
# port with a throw-away data folder (SQLite, mail written as .eml files, rate limits
# off), runs schemathesis, stops the portal. Run by hand; not part of .ci/run.
#
#   fuzz/api.sh [SECONDS]      (time budget of the main run, default 300)
#
# The main run goes through schemathesis's coverage phase (boundary and invalid values
# derived from the schema), then its fuzzing phase, repeated with fresh cases until
# the time budget is spent.
#
# Two runs: every operation with generated values (status tokens are then unknown,
# so that operation answers 404), then the status operation with the real token of an
# opt-out filed through the API (its link read from the .eml the portal wrote), so its
# 200 answer is checked against the Status schema too.
#
# Exits non-zero when schemathesis reports a failure or the portal panicked. The checks
# are all of schemathesis's (`--checks all`) except two that fail by design here:
# - positive_data_acceptance: a schema-valid body can still be refused with the
#   documented 422 (no name for a request other than an opt-out, or an opt-out in the
#   EU: the schema cannot say which kinds each place's law gives);
# - unsupported_method: a method the path does not have (TRACE, PUT…) gets the portal's
#   404 page, not 405.
# `not_a_server_error` (no 5xx) is the one that matters most. The portal's log and the
# JUnit report stay in the temporary folder printed below when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-300}
export CARGO_TERM_COLOR=never

command -v st >/dev/null 2>&1 || python3 -m pip install --quiet schemathesis
echo "== $(st --version)"

echo "== building the portal"
cargo build --bin dsar-portal

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
echo "== starting the portal on $base (data in $dir)"
DSAR_DATA_DIR="$dir/data" DSAR_BIND="127.0.0.1:$port" DSAR_RATE_LIMITS__ENABLED=false \
  RUST_LOG=warn target/debug/dsar-portal >"$dir/portal.log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap stop EXIT

for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$base/api/v1/openapi.json" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/portal.log"; exit 1; }
  sleep 1
done

# schemathesis keeps a cache (.schemathesis/) in the folder it runs in: not the repository.
cd "$dir"
checks=(--checks all --exclude-checks positive_data_acceptance,unsupported_method)
common=(--workers 2 --generation-database none --request-timeout 30 --no-color)
rc=0

echo "== schemathesis, every operation, for ${seconds}s"
st run "$base/api/v1/openapi.json" "${checks[@]}" "${common[@]}" \
  --max-time "$seconds" --max-examples 500 --seed 20261127 \
  --report junit --report-dir "$dir/report" || rc=$?

echo "== schemathesis, GET /api/v1/status/{token} with a real token"
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"kind":"opt_out","jurisdiction":"california","email":"schemathesis@example.com"}' \
  "$base/api/v1/requests" >/dev/null
read_token='
import email, glob, re, sys
from email import policy
for path in glob.glob(sys.argv[1] + "/*.eml"):
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            found = re.search(r"/status/([A-Za-z0-9_-]+)", part.get_content())
            if found:
                print(found.group(1))
                sys.exit(0)
'
token=""
for _ in $(seq 1 30); do
  token=$(python3 -c "$read_token" "$dir/data/mail" 2>/dev/null || true)
  [ -n "$token" ] && break
  sleep 1
done
if [ -z "$token" ]; then
  echo "!! no status link was mailed"
  rc=1
else
  printf '[[operations]]\ninclude-path = "/api/v1/status/{token}"\nparameters = { token = "%s" }\n' \
    "$token" >"$dir/schemathesis.toml"
  st --config-file "$dir/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --include-path '/api/v1/status/{token}' "${checks[@]}" "${common[@]}" || rc=$?
fi

stop
trap - EXIT
if grep -q 'panicked' "$dir/portal.log"; then
  echo "!! the portal panicked:"
  grep -A3 'panicked' "$dir/portal.log" | head -20
  rc=1
fi
if [ $rc -eq 0 ]; then
  rm -rf "$dir"
  echo "== schemathesis found no failure"
else
  echo "!! schemathesis failed (exit $rc); portal log and JUnit report in $dir"
fi
exit $rc
