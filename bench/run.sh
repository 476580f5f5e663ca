#!/usr/bin/env bash
# zonewire macro benchmarks, one command (see BENCHMARKS.md):
#
#   bash bench/run.sh                 # N=1000 sources, 5 runs per metric
#   N=100 RUNS=3 bash bench/run.sh    # quick mode
#
# Environment: N (sources, default 1000), RUNS (default 5), COLD_RUNS (cold rounds, default
# RUNS: each starts from an empty store), CONCURRENCY (polls at once and newsboat
# reload-threads, default 16), SCALE_SOURCES (x 50 items for the 100k-item store, default
# 2000; 0 skips the scale section), SCALE_SPACING_HOURS (gap between a scale source's items,
# default 350: 50 items over two years, what 100k stored items mean for this product),
# WRK_SECONDS (default 4), PORT/ZW_PORT/NGINX_PORT (18080/18001/18002), KEEP=1 keeps the
# work directory, SKIP_BUILD=1 uses the binaries already in target/release, BASE_ZW=PATH
# alternates every cold round with another zonewire build (an A/B in one run: this VM's
# speed drifts 10-20 % within minutes, so rounds minutes apart cannot be compared).
#
# Everything runs on loopback: the farm binds 127.0.0.2-254, zonewire and nginx bind
# 127.0.0.1. Every wait is bounded, every process it starts is stopped on exit (trap), and
# the farm also stops itself after an hour. Installs wrk, nginx-light, newsboat and time
# with apt-get when they are missing (Debian).
set -euo pipefail

N=${N:-1000}
RUNS=${RUNS:-5}
COLD_RUNS=${COLD_RUNS:-$RUNS}
SCALE_SPACING_HOURS=${SCALE_SPACING_HOURS:-350}
CONCURRENCY=${CONCURRENCY:-16}
SCALE_SOURCES=${SCALE_SOURCES:-2000}
WRK_SECONDS=${WRK_SECONDS:-4}
PORT=${PORT:-18080}
ZW_PORT=${ZW_PORT:-18001}
NGINX_PORT=${NGINX_PORT:-18002}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/zonewire-bench.XXXXXX)
chmod 755 "$WORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
PIDS=()

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if [[ -f "$WORK/nginx/nginx.pid" ]]; then
        stop_pid "$(cat "$WORK/nginx/nginx.pid")"
    fi
    if [[ "${KEEP:-0}" == 1 ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need wrk wrk
need nginx nginx-light
need newsboat newsboat
need curl curl
[[ -x /usr/bin/time ]] || need time time

prepare_binaries
# One base date for the whole run, so farm restarts serve byte-identical bodies.
BASE=$(date +%s)
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)

# ---- helpers ------------------------------------------------------------------------------

# record METRIC VALUE: one measurement (one line per run) for the summary.
record() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }

# stats METRIC -> "median min max n"
stats() {
    awk -F'\t' -v m="$1" '$1 == m { print $2 }' "$RESULTS" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "- - - 0"; exit }
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.6g %.6g %.6g %d\n", med, v[1], v[NR], NR
        }'
}

stop_farm() { stop_pid "$FARM_PID"; }

# timed NAME CMD...: runs CMD under /usr/bin/time; sets T_WALL T_CPU T_RSS_MIB.
timed() {
    local name=$1
    shift
    if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.$name" timeout 3600 "$@" \
        >"$WORK/out.$name" 2>"$WORK/err.$name"; then
        tail -5 "$WORK/err.$name" >&2
        log "$name failed"
        exit 2
    fi
    read -r T_WALL u s rss < <(tail -1 "$WORK/time.$name")
    T_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    T_RSS_MIB=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
}

# poll_round NAME CONFIG [BINARY]: one `zonewire poll`; checks it had no errors.
poll_round() {
    local name=$1 cfg=$2 bin=${3:-$ZW}
    timed "$name" "$bin" --log-level warn poll --config "$cfg"
    local total
    total=$(tail -1 "$WORK/out.$name")
    if ! grep -q " 0 with errors" <<<"$total"; then
        grep -m5 "error" "$WORK/out.$name" >&2 || true
        log "$name: $total"
        exit 2
    fi
    ROUND_NEW=$(sed -E 's/.* ([0-9]+) new.*/\1/' <<<"$total")
}

wait_healthz() { # port pid -> sets HEALTH_SECONDS (time since START_NS)
    local port=$1 pid=$2
    for _ in $(seq 1 3000); do
        if curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
            HEALTH_SECONDS=$(awk -v a="$START_NS" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.005
    done
    log "daemon did not answer /healthz"
    exit 2
}

start_daemon() { # config [log level]
    START_NS=$(date +%s%N)
    "$ZW" --log-level "${2:-warn}" run --config "$1" >"$WORK/daemon.log" 2>&1 &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    wait_healthz "$ZW_PORT" "$DAEMON_PID"
}

rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# wrk_run METRIC URL [header...]: req/s and p99 (ms) of one wrk run at 32 connections.
wrk_run() {
    local metric=$1 url=$2
    shift 2
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    local out
    out=$(timeout $((WRK_SECONDS + 30)) ${WRK_CPU:+taskset -c "$WRK_CPU"} \
        wrk -t1 -c32 -d"${WRK_SECONDS}s" --latency "${args[@]}" "$url")
    if grep -q "Non-2xx" <<<"$out"; then
        echo "$out" >&2
        log "$metric: unexpected status codes"
        exit 2
    fi
    record "$metric.rps" "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
    record "$metric.p99_ms" "$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
        f = (u == "us") ? 0.001 : (u == "s") ? 1000 : 1; printf "%.3f", v * f }' <<<"$out")"
}

# ---- 1. cold, 6. peer, 2. warm, 3. unchanged ----------------------------------------------

mkdir -p "$WORK/cfg"
"$FARM" config --sources "$N" --port "$PORT" --store "$WORK/store" \
    --concurrency "$CONCURRENCY" --listen "127.0.0.1:$ZW_PORT" --out-dir "$WORK/cfg"
CFG="$WORK/cfg/zonewire.toml"
start_farm "$N"

# base_round R: the same cold round with $BASE_ZW (ratios this/base, per pair).
base_round() {
    rm -rf "$WORK/store"
    poll_round "base.cold$1" "$CFG" "$BASE_ZW"
    record base.cold.wall_s "$T_WALL"
    record base.cold.cpu_s "$T_CPU"
    record base.cold.rss_mib "$T_RSS_MIB"
    BASE_WALL=$T_WALL
    log "base cold round $1: ${T_WALL}s, cpu ${T_CPU}s, peak RSS ${T_RSS_MIB} MiB"
}
if [[ -n "${BASE_ZW:-}" ]]; then
    [[ -x "$BASE_ZW" ]] || { log "BASE_ZW=$BASE_ZW is not an executable"; exit 2; }
    log "cold rounds alternate with $BASE_ZW"
fi

for r in $(seq 1 "$COLD_RUNS"); do
    # Odd rounds run the base first, even ones second, so a drift favours neither.
    if [[ -n "${BASE_ZW:-}" && $((r % 2)) -eq 1 ]]; then base_round "$r"; fi
    rm -rf "$WORK/store"
    poll_round "cold$r" "$CFG"
    THIS_WALL=$T_WALL
    record cold.wall_s "$T_WALL"
    record cold.cpu_s "$T_CPU"
    record cold.rss_mib "$T_RSS_MIB"
    record cold.items "$ROUND_NEW"
    record cold.items_per_s "$(awk -v n="$ROUND_NEW" -v t="$T_WALL" 'BEGIN { printf "%.0f", n / t }')"
    log "cold round $r: ${T_WALL}s, ${ROUND_NEW} new items, cpu ${T_CPU}s, peak RSS ${T_RSS_MIB} MiB"
    if [[ -n "${BASE_ZW:-}" ]]; then
        if [[ $((r % 2)) -eq 0 ]]; then base_round "$r"; fi
        record cold.wall_vs_base "$(awk -v a="$THIS_WALL" -v b="$BASE_WALL" 'BEGIN { printf "%.4f", a / b }')"
    fi
done

mkdir -p "$WORK/nb"
printf 'reload-threads %s\ndownload-retries 1\ndownload-timeout 60\nshow-read-feeds yes\n' \
    "$CONCURRENCY" >"$WORK/nb/config"
for r in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/nb/home" "$WORK/nb/cache.db"*
    mkdir -p "$WORK/nb/home"
    HOME="$WORK/nb/home" timed "newsboat$r" newsboat -x reload -u "$WORK/cfg/urls" \
        -c "$WORK/nb/cache.db" -C "$WORK/nb/config"
    items=$(sqlite3 "$WORK/nb/cache.db" 'select count(*) from rss_item' 2>/dev/null || echo "?")
    record peer.wall_s "$T_WALL"
    record peer.cpu_s "$T_CPU"
    record peer.rss_mib "$T_RSS_MIB"
    log "newsboat reload $r: ${T_WALL}s, $items items stored, cpu ${T_CPU}s"
done

for r in $(seq 1 "$RUNS"); do
    poll_round "warm$r" "$CFG"
    nm=$(grep -c "not-modified" "$WORK/out.warm$r" || true)
    record warm.wall_s "$T_WALL"
    record warm.cpu_s "$T_CPU"
    log "warm round $r: ${T_WALL}s, $nm/$N sources not modified, cpu ${T_CPU}s"
done
stop_farm

start_farm "$N" --ignore-validators
for r in $(seq 1 "$RUNS"); do
    poll_round "unchanged$r" "$CFG"
    un=$(grep -c " unchanged (" "$WORK/out.unchanged$r" || true)
    record unchanged.wall_s "$T_WALL"
    record unchanged.cpu_s "$T_CPU"
    log "unchanged round $r: ${T_WALL}s, $un/$N sources skipped as unchanged, cpu ${T_CPU}s"
done
stop_farm

# Start-up cost inside every `poll` above (store open, in-memory indexes): one pass with
# a source id that is polled alone, on the full store.
for r in $(seq 1 "$RUNS"); do
    timed "single$r" "$ZW" --log-level warn poll --config "$CFG" --source s0
    record poll_one_source_offline.wall_s "$T_WALL"
done

# ---- 4. serving ----------------------------------------------------------------------------

start_daemon "$CFG"
mkdir -p "$WORK/www"
curl -sf -o "$WORK/www/feed.xml" -D "$WORK/h.identity" "http://127.0.0.1:$ZW_PORT/feed.xml"
curl -sf -o "$WORK/www/feed.xml.gz" -H 'Accept-Encoding: gzip' -D "$WORK/h.gzip" \
    "http://127.0.0.1:$ZW_PORT/feed.xml"
ETAG=$(awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }' "$WORK/h.identity")
FEED_BYTES=$(stat -c %s "$WORK/www/feed.xml")
GZ_BYTES=$(stat -c %s "$WORK/www/feed.xml.gz")
grep -qi '^content-encoding: gzip' "$WORK/h.gzip" || { log "no gzip variant served"; exit 2; }
log "/feed.xml: $FEED_BYTES bytes identity, $GZ_BYTES bytes gzip, ETag $ETAG"
chmod -R a+rX "$WORK/www"

mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types { application/rss+xml xml; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        location = /feed.xml.gz {
            default_type application/rss+xml;
            types { }
            add_header Content-Encoding gzip;
            add_header Vary Accept-Encoding;
        }
    }
}
EOF
start_nginx() { # [taskset CPU list]
    rm -f "$WORK/nginx/nginx.pid"
    ${1:+taskset -c "$1"} nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon on;'
    for _ in $(seq 1 100); do [[ -s "$WORK/nginx/nginx.pid" ]] && break; sleep 0.05; done
}
start_nginx
NGINX_ETAG=$(curl -sf -D - -o /dev/null "http://127.0.0.1:$NGINX_PORT/feed.xml" |
    awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }')
cmp -s <(curl -sf "http://127.0.0.1:$NGINX_PORT/feed.xml.gz") "$WORK/www/feed.xml.gz" ||
    { log "nginx does not serve the same gzip bytes"; exit 2; }
# zonewire answers keep-alive clients without a per-connection limit; nginx's default of
# 1000 requests per connection is lifted above so both are measured the same way.
serve_runs() { # metric prefix
    local p=$1 r
    for r in $(seq 1 "$RUNS"); do
        wrk_run "$p.zonewire.gzip" "http://127.0.0.1:$ZW_PORT/feed.xml" 'Accept-Encoding: gzip'
        wrk_run "$p.nginx.gzip" "http://127.0.0.1:$NGINX_PORT/feed.xml.gz"
        wrk_run "$p.zonewire.identity" "http://127.0.0.1:$ZW_PORT/feed.xml"
        wrk_run "$p.nginx.identity" "http://127.0.0.1:$NGINX_PORT/feed.xml"
        wrk_run "$p.zonewire.304" "http://127.0.0.1:$ZW_PORT/feed.xml" "If-None-Match: $ETAG"
        wrk_run "$p.nginx.304" "http://127.0.0.1:$NGINX_PORT/feed.xml" "If-None-Match: $NGINX_ETAG"
        log "$p run $r done"
    done
}
serve_runs serve
stop_pid "$(cat "$WORK/nginx/nginx.pid")"
stop_pid "$DAEMON_PID"
# The same runs with the load generator on CPU 0 and the server on CPU 1, for both
# servers. nginx runs one worker above and wrk one thread, so each gets a core; zonewire's
# runtime starts a worker per core, and its second worker competes with wrk for wrk's
# core. Pinned, the daemon sees one CPU and starts one worker (tokio counts the CPUs it
# may run on): the like-for-like comparison. Both sets are recorded (BENCHMARKS §7).
if [[ "$(nproc)" -ge 2 ]] && command -v taskset >/dev/null; then
    START_NS=$(date +%s%N)
    taskset -c 1 "$ZW" --log-level warn run --config "$CFG" >"$WORK/daemon.log" 2>&1 &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    wait_healthz "$ZW_PORT" "$DAEMON_PID"
    curl -sf -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$ZW_PORT/feed.xml"
    PINNED_ETAG=$(curl -sf -D - -o /dev/null "http://127.0.0.1:$ZW_PORT/feed.xml" |
        awk 'tolower($1) == "etag:" { sub(/\r$/, ""); print $2 }')
    [[ "$PINNED_ETAG" == "$ETAG" ]] || { log "the restarted daemon serves other bytes"; exit 2; }
    start_nginx 1
    WRK_CPU=0 serve_runs serve_pinned
    stop_pid "$(cat "$WORK/nginx/nginx.pid")"
    stop_pid "$DAEMON_PID"
fi
rm -f "$WORK/nginx/nginx.pid"

# ---- 5. scale: 100k items ------------------------------------------------------------------

if [[ "$SCALE_SOURCES" -gt 0 ]]; then
    "$FARM" config --sources "$SCALE_SOURCES" --port "$PORT" --store "$WORK/store100k" \
        --concurrency "$CONCURRENCY" --listen "127.0.0.1:$ZW_PORT" --out-dir "$WORK/cfg100k"
    CFG100K="$WORK/cfg100k/zonewire.toml"
    start_farm "$SCALE_SOURCES" --spacing-hours "$SCALE_SPACING_HOURS"
    poll_round fill100k "$CFG100K"
    stop_farm
    record scale.fill_wall_s "$T_WALL"
    record scale.items "$ROUND_NEW"
    log "filled the store: $ROUND_NEW items from $SCALE_SOURCES sources in ${T_WALL}s (peak RSS ${T_RSS_MIB} MiB)"
    "$FARM" stats --store "$WORK/store100k" >"$WORK/stats100k"
    RAW=$(awk '$1 == "raw_bytes" { print $2 }' "$WORK/stats100k")
    DISK=$(du -sb "$WORK/store100k" | cut -f1)
    record scale.raw_mib "$(awk -v b="$RAW" 'BEGIN { printf "%.1f", b / 1048576 }')"
    record scale.disk_mib "$(awk -v b="$DISK" 'BEGIN { printf "%.1f", b / 1048576 }')"
    record scale.disk_over_raw "$(awk -v a="$DISK" -v b="$RAW" 'BEGIN { printf "%.2f", a / b }')"
    cat "$WORK/stats100k" >&2

    "$FARM" queries --count 100 >"$WORK/queries"
    for r in $(seq 1 "$RUNS"); do
        start_daemon "$CFG100K"
        record scale.startup_s "$HEALTH_SECONDS"
        sleep 5
        record scale.idle_rss_mib "$(rss_mib "$DAEMON_PID")"
        log "start-up $r: /healthz after ${HEALTH_SECONDS}s, idle RSS $(rss_mib "$DAEMON_PID") MiB"
        if [[ $r -eq 1 ]]; then
            # Every query once, each a render-cache miss: the latency a reader sees first.
            while read -r path; do
                curl -sf -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$ZW_PORT$path"
            done <"$WORK/queries" | awk '{ printf "scale.query_miss_ms\t%.3f\n", $1 * 1000 }' >>"$RESULTS"
            # The target is a p99, which median/min/max of the summary do not show
            # (nearest rank over the 100 misses).
            record scale.query_miss_p99_ms "$(awk -F'\t' '$1 == "scale.query_miss_ms" { print $2 }' "$RESULTS" |
                sort -g | awk '{ v[NR] = $1 } END { r = int(NR * 0.99); if (r < NR * 0.99) r++; print v[r] }')"
            # Then under load, rotating over the same queries (mostly cache hits).
            cat >"$WORK/queries.lua" <<EOF
local paths = {}
for line in io.lines("$WORK/queries") do paths[#paths + 1] = line end
local i = 0
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
EOF
            for _ in $(seq 1 "$RUNS"); do
                out=$(timeout $((WRK_SECONDS + 30)) wrk -t1 -c32 -d"${WRK_SECONDS}s" --latency \
                    -s "$WORK/queries.lua" "http://127.0.0.1:$ZW_PORT")
                record scale.query_load.rps "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
                record scale.query_load.p99_ms "$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
                    f = (u == "us") ? 0.001 : (u == "s") ? 1000 : 1; printf "%.3f", v * f }' <<<"$out")"
            done
            sleep 2
            record scale.rss_after_queries_mib "$(rss_mib "$DAEMON_PID")"
        fi
        stop_pid "$DAEMON_PID"
    done

    # Last, since it removes items: the daemon prunes at start-up, then daily. A retention
    # between the ages of a source's two oldest items prunes one item per source, as one
    # day's prune of a daemon that has run for years would.
    KEEP_DAYS=$((SCALE_SPACING_HOURS * 97 / 48))
    sed "/^path = /a retention_days = $KEEP_DAYS" "$CFG100K" >"$WORK/cfg100k/prune.toml"
    start_daemon "$WORK/cfg100k/prune.toml" info
    for _ in $(seq 1 1200); do
        grep -q 'pruned=' "$WORK/daemon.log" && break
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.05
    done
    PRUNED=$(grep -m1 -o 'pruned=[0-9]*' "$WORK/daemon.log" | cut -d= -f2 || true)
    if [[ -z "$PRUNED" ]]; then
        log "the prune at start-up did not report (retention_days = $KEEP_DAYS)"
        exit 2
    fi
    sleep 5
    record scale.pruned "$PRUNED"
    record scale.idle_rss_after_prune_mib "$(rss_mib "$DAEMON_PID")"
    log "pruned $PRUNED items older than $KEEP_DAYS days: idle RSS $(rss_mib "$DAEMON_PID") MiB"
    stop_pid "$DAEMON_PID"
fi

# ---- summary -------------------------------------------------------------------------------

{
    echo "# zonewire bench/run.sh — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# N=$N RUNS=$RUNS COLD_RUNS=$COLD_RUNS CONCURRENCY=$CONCURRENCY SCALE_SOURCES=$SCALE_SOURCES SCALE_SPACING_HOURS=$SCALE_SPACING_HOURS WRK_SECONDS=$WRK_SECONDS"
    echo "# load average (1/5/15 min) at the start: $LOAD_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
    echo "# feed: ${FEED_BYTES:-?} bytes identity, ${GZ_BYTES:-?} bytes gzip"
    printf '%-36s %12s %12s %12s %4s\n' metric median min max n
    for m in $(cut -f1 "$RESULTS" | awk '!seen[$0]++'); do
        read -r med lo hi n < <(stats "$m")
        printf '%-36s %12s %12s %12s %4s\n' "$m" "$med" "$lo" "$hi" "$n"
    done
} | tee "$ROOT/target/bench-results.txt"
log "summary saved to target/bench-results.txt"
