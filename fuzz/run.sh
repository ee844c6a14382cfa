#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time and exits non-zero if any crashed.
# Too slow for the per-commit CI (.ci/run): run it by hand before a release or after
# touching form, upload, DRP or deadline code.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 60 s, every target)
#
# Targets (fuzz/fuzz_targets/):
#   form_intake     url-encoded request form -> web::form_pairs -> domain::intake::validate,
#                   and domain::agent_filing::validate with an uploaded document
#   upload          documents::clean_filename + documents::check_upload on raw bytes
#   multipart_form  web::multipart::bounded + read (actix-multipart) on raw bodies
#   drp_body        drp::envelope::open, drp::messages::parse_*/verify_* (signed with a
#                   fixed key so verification runs past the signature)
#   deadlines       domain::deadlines::compute and its helpers, with legal invariants
#
# Toolchain: the machine's stable Rust (1.95); no nightly is needed. The exact command
# per target, from the repository root, is
#
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> fuzz/work/<target> \
#       fuzz/corpus/<target> -- -max_total_time=<s> -timeout=10 -rss_limit_mb=2048
#
# cargo-fuzz builds in release mode with debug assertions and overflow checks on, with
# libFuzzer's coverage instrumentation (plain `-C` flags, which stable accepts).
# `--sanitizer none` (the default here) passes no `-Z` flag at all; the code under test
# is safe Rust, where AddressSanitizer finds nothing a panic or an overflow check would
# not. FUZZ_SANITIZER=address works on stable too: cargo-fuzz then passes
# `-Zsanitizer=address`, which RUSTC_BOOTSTRAP=1 lets stable rustc accept, and the ASan
# runtime ships with the toolchain. It costs a second full build (about 10 CPU minutes)
# and runs at a third of the speed (deadlines: 19,500 vs 60,100 executions/s).
# RUSTC_BOOTSTRAP=1 is set for both so that switching does not change the environment.
#
# Corpora: fuzz/corpus/<target>/ holds the committed seeds, including every input that
# once crashed (named regress-*); new inputs go to fuzz/work/<target>/ (ignored by git),
# which later runs reuse. A crash leaves its input in fuzz/artifacts/<target>/; after
# fixing it, copy that file into fuzz/corpus/<target>/ as regress-<what>.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(form_intake upload multipart_form drp_body deadlines)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
sanitizer=${FUZZ_SANITIZER:-none}
# A sanitizer build lives in its own folder, so switching does not rebuild the other.
tdir=()
[ "$sanitizer" != none ] && tdir=(--target-dir "fuzz/target/$sanitizer")

export CARGO_TERM_COLOR=never
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || exit 1
fi

# fuzz/Cargo.lock is not committed: start it from the portal's own lock, so the fuzzed
# code is built with the same dependency versions as the portal.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

echo "== building the fuzz targets (sanitizer: $sanitizer)"
cargo fuzz build --sanitizer "$sanitizer" "${tdir[@]}" || exit 1

failed=()
for t in "${targets[@]}"; do
  echo "== $t for ${seconds}s"
  mkdir -p "fuzz/work/$t"
  log="fuzz/work/$t.log"
  cargo fuzz run --sanitizer "$sanitizer" "${tdir[@]}" "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1
  rc=$?
  grep -E '^(Done |stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" || true
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    echo "!! $t failed (exit $rc); see $log"
    grep -E -A3 'panicked|ERROR: libFuzzer|Test unit written' "$log" | head -20
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== crashed: ${failed[*]}"
  exit 1
fi
echo "== ${#targets[@]} fuzz targets ran ${seconds}s each without a crash"
