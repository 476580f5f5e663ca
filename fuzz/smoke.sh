#!/usr/bin/env bash
# Short fuzzing smoke run of every zonewire fuzz target. Not part of CI.
#
#   fuzz/smoke.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 60 s, all targets)
#
# Modes (ZONEWIRE_FUZZ_MODE):
#   auto       (default) libfuzzer when `cargo fuzz` is installed, else stable
#   libfuzzer  `cargo fuzz run` on the installed toolchain. cargo fuzz passes nightly-only
#              flags (-Zsanitizer=address, …); RUSTC_BOOTSTRAP=1 lets a stable rustc accept
#              them, so no nightly toolchain is needed (a nightly default works as well).
#   stable     no libFuzzer: `cargo test --test replay` replays the seeds and regressions,
#              then mutates the seeds blindly for SECONDS_PER_TARGET (no coverage feedback).
#
# Environment:
#   ZONEWIRE_FUZZ_CORPUS      extra corpus directories, colon-separated, read-only
#                             (e.g. the shared page corpus: "$PWD/../shared/corpus")
#   ZONEWIRE_FUZZ_KEEP_GOING  1: do not stop a target at its first crash (libFuzzer -fork
#                             mode; stable mode lists one input per kind of failure)
#   ZONEWIRE_FUZZ_STRICT      1: known dependency panics in feed_ingest are fatal too
#   ZONEWIRE_FUZZ_MAX_LEN     longest input in bytes (default 262144). Short runs (2048 or
#                             4096) try 30-60x more inputs a second than runs over the grown
#                             corpus, and found a finding the long runs had not; they grow
#                             their own corpus, fuzz/corpus/<target>-short/
#   CARGO_TARGET_DIR          stable mode only; pointing it at the main target/ reuses the
#                             dependencies that are already built there
#
# Crashing inputs land in fuzz/artifacts/<target>/; libFuzzer's grown corpus in
# fuzz/corpus/<target>/ (both git-ignored). The exit status is non-zero if any target failed.
set -euo pipefail

cd "$(dirname "$0")"
secs=${1:-60}
shift || true
all=(feed_ingest html_extract dates urlnorm text)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

mode=${ZONEWIRE_FUZZ_MODE:-auto}
if [ "$mode" = auto ]; then
    if cargo fuzz --version >/dev/null 2>&1; then mode=libfuzzer; else mode=stable; fi
fi

# Fuzzing is CPU-bound for its whole duration: yield to anything interactive.
run() { nice -n 10 "$@"; }

failed=()
case "$mode" in
libfuzzer)
    export RUSTC_BOOTSTRAP=1
    run cargo fuzz build
    extra=()
    if [ -n "${ZONEWIRE_FUZZ_CORPUS:-}" ]; then
        IFS=: read -r -a extra <<<"$ZONEWIRE_FUZZ_CORPUS"
    fi
    max_len=${ZONEWIRE_FUZZ_MAX_LEN:-262144}
    flags=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1)
    if [ "${ZONEWIRE_FUZZ_KEEP_GOING:-0}" != 0 ]; then
        flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    for t in "${targets[@]}"; do
        # The first directory receives new inputs; seeds and extra corpora are only read.
        # Short runs keep their own: the long corpus's inputs, cut short, would crowd it.
        grown="corpus/$t"
        if [ "$max_len" -lt 262144 ]; then grown="corpus/$t-short"; fi
        mkdir -p "$grown"
        echo "== $t: libFuzzer for ${secs}s (inputs up to $max_len bytes)"
        if ! run cargo fuzz run "$t" "$grown" "seeds/$t" "${extra[@]}" -- "${flags[@]}"; then
            failed+=("$t")
        fi
        # Known bugs stay reproducible: replay them without fuzzing.
        if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
            echo "== $t: regressions"
            mkdir -p "artifacts/$t"
            if ! run cargo fuzz run "$t" "regressions/$t"/* -- -runs=1 >"artifacts/$t/regressions.log" 2>&1; then
                echo "   $t: a regression input still fails (log: fuzz/artifacts/$t/regressions.log)"
                failed+=("$t(regressions)")
            fi
        fi
    done
    ;;
stable)
    for t in "${targets[@]}"; do
        echo "== $t: stable replay + blind mutation for ${secs}s"
        if ! ZONEWIRE_FUZZ_SECS="$secs" run cargo test --test replay -- --exact "$t" --nocapture; then
            failed+=("$t")
        fi
    done
    ;;
*)
    echo "unknown ZONEWIRE_FUZZ_MODE=$mode (auto, libfuzzer, stable)" >&2
    exit 2
    ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "all targets ran ${secs}s without a crash"
