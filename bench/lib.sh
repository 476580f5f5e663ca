# Helpers shared by bench/run.sh and bench/callgrind.sh (sourced, not run). The caller sets
# ROOT (the repository), WORK (a scratch directory) and PIDS (an array of what to stop on
# exit), and PORT and BASE before calling start_farm (prepare_binaries sets FARM).

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# need COMMAND PACKAGE: installs PACKAGE with apt-get (Debian) when COMMAND is missing.
need() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    log "installing $pkg (for $cmd)"
    if [[ ! -f "$WORK/.apt-updated" ]]; then apt-get update -q >&2 && touch "$WORK/.apt-updated"; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2
}

# start_farm SOURCES EXTRA-ARGS...: the loopback farm, waited for (bounded); sets FARM_PID.
start_farm() {
    local n=$1
    shift
    "$FARM" serve --sources "$n" --port "$PORT" --base "$BASE" --max-seconds 3600 "$@" \
        >"$WORK/farm.log" 2>&1 &
    FARM_PID=$!
    PIDS+=("$FARM_PID")
    for _ in $(seq 1 600); do
        grep -q "farm ready" "$WORK/farm.log" 2>/dev/null && { log "$(head -1 "$WORK/farm.log")"; return 0; }
        kill -0 "$FARM_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/farm.log" >&2
    log "farm did not start"
    exit 2
}

# prepare_binaries: resolves a relative BASE_ZW from where the script was started, moves to
# ROOT, builds the release binaries unless SKIP_BUILD=1, and sets ZW and FARM.
prepare_binaries() {
    if [[ -n "${BASE_ZW:-}" ]]; then BASE_ZW=$(realpath -- "$BASE_ZW"); fi
    cd "$ROOT"
    if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
        log "building release binaries (once)"
        cargo build --release --locked --bin zonewire --bin zonewire-farm >&2
    fi
    ZW="$ROOT/target/release/zonewire"
    FARM="$ROOT/target/release/zonewire-farm"
}
