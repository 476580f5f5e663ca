#!/usr/bin/env bash
# Instruction counts of one cold round under callgrind (see BENCHMARKS.md §1):
#
#   bash bench/callgrind.sh                          # N=60 farm sources, 3,000 items
#   BASE_ZW=path/to/zonewire bash bench/callgrind.sh # and the same round for another build
#
# This VM's speed drifts 10-30 % between rounds, which hides a change of a few percent in
# wall time. The instructions the per-item path executes do not drift, so this is how the
# normalisation work of BENCHMARKS.md §1 was measured. Compare stages, not the "whole
# round" line: the threads' interleaving moves it by 5-20 % between runs of one build. Valgrind hides SHA-NI from the
# program: SHA-256 weighs far more here than under `perf`. A round takes ~35 s.
#
# Environment: N (sources, default 60), PORT/ZW_PORT (18080/18001), SKIP_BUILD=1 uses the
# binaries already in target/release, KEEP=1 keeps the work directory (callgrind.out.*
# for callgrind_annotate), BASE_ZW=PATH profiles that build too. Installs valgrind with
# apt-get when it is missing (Debian). Everything runs on loopback, every wait is bounded
# and what it starts is stopped on exit. Prints a table and saves it to
# target/callgrind-results.txt.
set -euo pipefail

N=${N:-60}
PORT=${PORT:-18080}
ZW_PORT=${ZW_PORT:-18001}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/zonewire-callgrind.XXXXXX)
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if [[ "${KEEP:-0}" == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need valgrind valgrind
need callgrind_annotate valgrind

prepare_binaries
BASE=$(date +%s)

"$FARM" config --sources "$N" --port "$PORT" --store "$WORK/store" \
    --concurrency 16 --listen "127.0.0.1:$ZW_PORT" --out-dir "$WORK/cfg" >&2
start_farm "$N"

# profile NAME BINARY: one cold round under callgrind; its inclusive listing in ann.NAME.
profile() {
    local name=$1 bin=$2
    rm -rf "$WORK/store"
    log "$name: callgrind over a cold round of $N sources"
    if ! timeout 1800 valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.$name" \
        "$bin" --log-level warn poll --config "$WORK/cfg/zonewire.toml" \
        >"$WORK/out.$name" 2>"$WORK/err.$name"; then
        tail -5 "$WORK/err.$name" >&2
        log "$name: the round failed"
        exit 2
    fi
    if ! tail -1 "$WORK/out.$name" | grep -q " 0 with errors"; then
        tail -3 "$WORK/out.$name" >&2
        log "$name: the round had errors"
        exit 2
    fi
    callgrind_annotate --inclusive=yes --threshold=99.9 "$WORK/callgrind.out.$name" \
        >"$WORK/ann.$name" 2>/dev/null
}
profile this "$ZW"
if [[ -n "${BASE_ZW:-}" ]]; then profile base "$BASE_ZW"; fi

# count NAME TEXT: inclusive instructions of the first (largest) listing line holding TEXT.
count() {
    local line
    line=$(grep -F -m1 -- "$2" "$WORK/ann.$1" || true)
    if [[ -z "$line" ]]; then echo "-"; else awk '{ gsub(",", "", $1); print $1 }' <<<"$line"; fi
}

OUT="$ROOT/target/callgrind-results.txt"
{
    echo "# zonewire bench/callgrind.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ), N=$N, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# this: $ZW${BASE_ZW:+; base: $BASE_ZW}"
    printf '%-34s %15s %15s %8s\n' "inclusive instructions" this base this/base
    while IFS='|' read -r label text; do
        t=$(count this "$text")
        b="-"
        if [[ -n "${BASE_ZW:-}" ]]; then b=$(count base "$text"); fi
        r=$(awk -v t="$t" -v b="$b" 'BEGIN { if (t == "-" || b == "-" || b == 0) print "-"; else printf "%.3f", t / b }')
        printf '%-34s %15s %15s %8s\n' "$label" "$t" "$b" "$r"
    done <<'LIST'
whole round|PROGRAM TOTALS
normalize_unseen|normalize::normalize_unseen [
  provinces::tag|provinces::tagger::tag [
    syllables::split|provinces::syllables::split [
  dedup::fingerprint|dedup::fingerprint::fingerprint [
  sanitize_html|sanitize::sanitize_html [
  identity keys|zonewire::dedup::identity_keys
  urlnorm::canonicalize|urlnorm::canonicalize [
Archive::ingest|archive::Archive::ingest [
  StoryIndex::find_match|StoryIndex>::find_match [
  SledStore::commit|zonewire::store::Store>::commit [
sha2 compress (no SHA-NI here)|sha2::sha256::compress256 [
LIST
} | tee "$OUT"
log "saved to target/callgrind-results.txt"
