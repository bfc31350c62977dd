# shellcheck shell=bash
# Shared helpers for perf/bench and perf/benches/*.sh (sourced, never executed).
#
# Conventions:
#   - progress and diagnostics go to stderr (bench_log); per-run numbers and the
#     final result line go to stdout, the result line always last.
#   - every external process runs under `timeout`; every DPDK process has its own
#     --file-prefix; everything started is tracked and stopped by PID on exit.
#   - raw logs of each run go to $BENCH_DIR = perf/results/<name>-<timestamp>/.

# ---------------------------------------------------------------- settings
# Overridable from the environment (documented in perf/README.md).
: "${BENCH_ROUNDS:=3}"          # interleaved rounds: reference, flowgate, reference, ...
: "${BENCH_WARMUP:=2}"          # seconds of forwarding before the measurement window
: "${BENCH_WINDOW:=8}"          # measurement window in seconds (testpmd needs >= 6)
: "${BENCH_MAIN_CORE:=0}"       # EAL main lcore (control thread, JVM housekeeping)
: "${BENCH_FWD_CORE:=1}"        # the single forwarding core, identical for both tools
: "${BENCH_MEM_MB:=512}"        # EAL -m (no huge pages on these machines)
: "${BENCH_BUILD_TIMEOUT:=1800}" # first `./flowgate --version` may build the project
: "${FLOWGATE:=$BENCH_ROOT/flowgate}"   # launcher; override only to test the harness

BENCH_PIDS=()          # timeout(1) wrappers we started and have not reaped yet
BENCH_PREFIXES=()      # DPDK --file-prefix values we used (runtime dirs to remove)
BENCH_TMPFILES=()      # fifos etc.

bench_log()  { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die()  { bench_log "ERROR: $*"; exit 1; }

# sleep that a trapped INT/TERM interrupts at once (a foreground sleep delays the trap)
bench_sleep() {
    sleep "$1" & BENCH_SLEEP_PID=$!
    wait "$BENCH_SLEEP_PID"; BENCH_SLEEP_PID=
}

# ---------------------------------------------------------------- lifecycle
# bench_init NAME: results directory, traps, sanity checks.
bench_init() {
    BENCH_NAME=$1
    BENCH_TS=$(date +%Y%m%d-%H%M%S)
    BENCH_DIR=$BENCH_ROOT/perf/results/$BENCH_NAME-$BENCH_TS
    mkdir -p "$BENCH_DIR" || bench_die "cannot create $BENCH_DIR"
    trap bench_cleanup EXIT
    trap 'bench_log "interrupted"; exit 130' INT TERM HUP
    # A write to the testpmd command fifo after testpmd died must not kill us.
    trap '' PIPE
    local ncpu; ncpu=$(nproc)
    (( ncpu > BENCH_FWD_CORE && ncpu > BENCH_MAIN_CORE )) \
        || bench_die "need cores $BENCH_MAIN_CORE and $BENCH_FWD_CORE, have $ncpu"
    {
        echo "bench=$BENCH_NAME ts=$BENCH_TS host=$(hostname) cpus=$ncpu"
        echo "rounds=$BENCH_ROUNDS warmup=$BENCH_WARMUP window=$BENCH_WINDOW main_core=$BENCH_MAIN_CORE fwd_core=$BENCH_FWD_CORE"
        echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
        grep -m1 'model name' /proc/cpuinfo
        git -C "$BENCH_ROOT" rev-parse HEAD 2>/dev/null | sed 's/^/commit=/'
    } >"$BENCH_DIR/env.txt"
    bench_log "results in ${BENCH_DIR#"$BENCH_ROOT"/}"
}

# Stop what we started (by PID only), remove our DPDK runtime dirs and fifos.
bench_cleanup() {
    local pid p f
    [[ -n ${BENCH_SLEEP_PID:-} ]] && kill "$BENCH_SLEEP_PID" 2>/dev/null
    for pid in "${BENCH_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null      # timeout(1) forwards it to its child
            for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    for p in "${BENCH_PREFIXES[@]}"; do
        [[ -n $p && -d /var/run/dpdk/$p ]] && rm -rf "/var/run/dpdk/$p"
    done
    for f in "${BENCH_TMPFILES[@]}"; do rm -f "$f"; done
}

# Forget a PID once it has been waited for.
bench_untrack() {
    local pid=$1 i
    for i in "${!BENCH_PIDS[@]}"; do [[ ${BENCH_PIDS[i]} == "$pid" ]] && unset 'BENCH_PIDS[i]'; done
}

# ---------------------------------------------------------------- prerequisites
bench_need_testpmd() {
    if ! command -v dpdk-testpmd >/dev/null 2>&1; then
        bench_log "dpdk-testpmd missing: apt-get install -y dpdk"
        timeout 600 apt-get install -y dpdk >"$BENCH_DIR/apt.log" 2>&1 \
            || bench_die "apt-get install dpdk failed (see $BENCH_DIR/apt.log)"
    fi
    command -v dpdk-testpmd >/dev/null 2>&1 || bench_die "dpdk-testpmd still not found"
}

# The launcher builds the project on first use.
bench_need_flowgate() {
    [[ -x $FLOWGATE ]] || bench_die "$FLOWGATE not found or not executable"
    bench_log "checking/building flowgate ($FLOWGATE --version)"
    (cd "$BENCH_ROOT" && timeout -k 10 "$BENCH_BUILD_TIMEOUT" "$FLOWGATE" --version) \
        >"$BENCH_DIR/flowgate-version.log" 2>&1 \
        || bench_die "flowgate --version failed (see $BENCH_DIR/flowgate-version.log)"
}

# bench_need_perf_jar: builds perf/target/benchmarks.jar (and what it depends on) when it is missing or older
# than any main source; sets BENCH_PERF_JAR and exports JAVA_HOME (JDK 25).
bench_need_perf_jar() {
    # shellcheck source=../../ci/lib/prereqs.sh
    source "$BENCH_ROOT/ci/lib/prereqs.sh"
    ensure_prereqs >"$BENCH_DIR/prereqs.log" 2>&1 || bench_die "prerequisites (see $BENCH_DIR/prereqs.log)"
    BENCH_PERF_JAR=$BENCH_ROOT/perf/target/benchmarks.jar
    if [[ ! -f $BENCH_PERF_JAR || -n $(find "$BENCH_ROOT"/*/src/main -newer "$BENCH_PERF_JAR" -type f -print -quit) ]]; then
        bench_log "building perf (benchmarks.jar)"
        (cd "$BENCH_ROOT" && timeout "$BENCH_BUILD_TIMEOUT" ./mvnw -q -B install -DskipTests -pl perf -am) \
            >"$BENCH_DIR/build.log" 2>&1 || bench_die "build failed (see $BENCH_DIR/build.log)"
    fi
}

# ---------------------------------------------------------------- EAL
# bench_eal_args PREFIX: sets BENCH_EAL to the EAL options every DPDK process of a
# benchmark shares (a global, so that the prefix is tracked for cleanup).
# --no-huge -m 512 --no-pci: no huge pages and no NIC here. Never --in-memory with
# --no-huge (DPDK rejects it). Each process gets its own --file-prefix so that
# concurrent/leftover runs never collide; we delete /var/run/dpdk/PREFIX afterwards.
# -l MAIN,FWD: the main lcore on core 0, the single forwarding lcore on core 1.
# An optional second argument replaces the lcore list (e.g. l3fwd runs on the
# forwarding core alone: bench_eal_args PREFIX "$BENCH_FWD_CORE").
bench_eal_args() {
    local prefix=$1 lcores=${2:-$BENCH_MAIN_CORE,$BENCH_FWD_CORE}
    BENCH_PREFIXES+=("$prefix")
    BENCH_EAL=(-l "$lcores" --no-huge -m "$BENCH_MEM_MB"
               --no-pci "--file-prefix=$prefix")
}

bench_prefix() { echo "fgb-$BENCH_NAME-$$-$1"; }

# ---------------------------------------------------------------- arithmetic
# median of the arguments (mean of the two middle values for an even count)
bench_median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) printf "%.3f\n", v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2 }'
}
bench_ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (y+0 == 0) print "nan"; else printf "%.3f\n", x/y }'; }
bench_pps_to_mpps() { awk -v p="$1" 'BEGIN { printf "%.3f\n", p/1e6 }'; }

# bench_slope FILE N: FILE holds "TIME COUNT" samples of port 1's transmitted packets while
# N new flows pass once; prints the rate between the moments the count crossed 10% and
# 90% of N (start-up and tail left out), each found by linear interpolation between the
# two samples around it. Fails if 90% is never reached.
bench_slope() {
    awk -v n="$2" '
        function cross(level) { return pt + (level - pc) * ($1 - pt) / ($2 - pc) }
        NR > 1 && !lo && $2 >= 0.1 * n && $2 > pc { t10 = cross(0.1 * n); lo = 1 }
        NR > 1 && lo && $2 >= 0.9 * n && $2 > pc { t90 = cross(0.9 * n)
            if (t90 > t10) { printf "%.0f\n", 0.8 * n / (t90 - t10); f = 1 }; exit }
        { pt = $1; pc = $2 }
        END { exit !f }' "$1"
}

# bench_result NAME RATIO X Y UNIT REFNAME: the contract line (print it last).
bench_result() {
    printf '%s ratio=%s flowgate=%s reference=%s unit=%s reference_name=%s\n' "$@"
}

# ---------------------------------------------------------------- testpmd
# bench_testpmd_rate LOG WARMUP WINDOW EAL_ARGS... -- TESTPMD_ARGS...
# Runs dpdk-testpmd interactively (-i is added) with commands fed through a fifo,
# and sets BENCH_RATE to the forwarding rate in packets/s (sum of Tx-pps over all
# ports) over the WINDOW seconds that follow WARMUP seconds of forwarding.
# (Results are returned in a global, not printed: a $(...) subshell would hide the
# PIDs it starts from the cleanup trap.)
#
# Why this method: `show port stats all` prints, per port, the counters and a
# "Throughput (since last show)" computed by testpmd from the counter deltas and
# clock_gettime() between two shows. Issuing `show` once after the warm-up (sets
# the baseline; prints Tx-pps 0) and once WINDOW seconds later gives exactly
# (tx counter delta) / (elapsed time), timed by testpmd itself at the moment the
# counters are read. The non-interactive --stats-period mode was rejected: its
# first print happens at start (warm-up included), its period is 1 s of sleep plus
# printing, and stdout to a file is block-buffered so lines cannot be timestamped.
bench_testpmd_rate() {
    local log=$1 warmup=$2 window=$3; shift 3
    local fifo pid i rc fd
    fifo=$(mktemp -u "${TMPDIR:-/tmp}/fgbench-testpmd.XXXXXX")
    mkfifo "$fifo" || bench_die "mkfifo failed"
    BENCH_TMPFILES+=("$fifo")
    # split EAL args / app args at the first "--"
    local eal=() app=()
    while (($#)); do [[ $1 == -- ]] && { shift; break; }; eal+=("$1"); shift; done
    app=("$@")
    echo "# dpdk-testpmd ${eal[*]} -- -i ${app[*]}" >"$log"
    timeout -k 5 $((warmup + window + 40)) \
        dpdk-testpmd "${eal[@]}" -- -i "${app[@]}" <"$fifo" >>"$log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    exec {fd}<>"$fifo"        # O_RDWR: never blocks, whoever opens first
    for ((i = 0; i < 300; i++)); do     # up to 30 s for EAL init + port setup
        grep -q 'testpmd> ' "$log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q 'testpmd> ' "$log"; then
        exec {fd}>&-; wait "$pid"; bench_untrack "$pid"
        tail -20 "$log" >&2; bench_die "testpmd did not reach its prompt (see $log)"
    fi
    echo start >&"$fd"
    bench_sleep "$warmup"
    echo 'show port stats all' >&"$fd"
    bench_sleep "$window"
    echo 'show port stats all' >&"$fd"
    echo stop >&"$fd"
    echo quit >&"$fd"
    exec {fd}>&-
    wait "$pid"; rc=$?; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log" >&2; bench_die "testpmd exited with $rc (see $log)"; }
    # The last Tx-pps per port comes from the second show; sum over ports (the
    # ports that only receive show 0). Require two shows per port.
    BENCH_RATE=$(awk '
        /NIC statistics for port/ { for (i = 1; i <= NF; i++) if ($i == "port") p = $(i+1); shows[p]++ }
        /Tx-pps:/ { pps[p] = $2 }
        END {
            n = 0; s = 0
            for (p in pps) { if (shows[p] < 2) exit 1; s += pps[p]; n++ }
            if (n == 0) exit 1
            printf "%.0f\n", s
        }' "$log") || bench_die "could not parse testpmd rate from $log"
    # Audit trail: the same rate from the raw TX-packets counters over the nominal
    # window (agrees with testpmd's own figure within ~0.1% here).
    awk -v w="$window" -v r="$BENCH_RATE" '
        /NIC statistics for port/ { for (i = 1; i <= NF; i++) if ($i == "port") p = $(i+1) }
        /TX-packets:/ && !/TX-dropped/ { prev[p] = last[p]; last[p] = $2 }
        END { for (p in last) d += last[p] - prev[p]
              printf "# rate: testpmd Tx-pps sum=%s; TX-packets delta/%ss=%.0f\n", r, w, d / w }' \
        "$log" >>"$log"
}

# ---------------------------------------------------------------- flowgate
# bench_flowgate_has_command SUBCOMMAND: true if `flowgate SUBCOMMAND --help` shows
# that subcommand's own usage. The exit status alone does not tell: for an unknown
# subcommand, `flowgate NAME --help` prints the top-level usage and exits 0.
bench_flowgate_has_command() {
    local sub=$1 out rc
    out=$(cd "$BENCH_ROOT" && timeout -k 5 "$BENCH_BUILD_TIMEOUT" "$FLOWGATE" "$sub" --help 2>&1); rc=$?
    printf '%s\n' "$out" >"$BENCH_DIR/flowgate-$sub-help.log"
    ((rc == 0)) && grep -Eq "^Usage: flowgate $sub( |\$)" <<<"$out"
}

# bench_flowgate_cmd_rate LOG WARMUP WINDOW SUBCOMMAND [OPTION...] -- EAL_ARGS...
# Runs `flowgate SUBCOMMAND OPTION... --cores FWD --warmup W --duration D
# --stats-interval 1 -- EAL_ARGS...` (the worker pinned to core $BENCH_FWD_CORE) and
# sets BENCH_RATE to tx_pps from its final summary line, e.g.
#   fwd summary window_s=8.000 rx_pps=NNN tx_pps=NNN drop_pps=NNN rx_total=N ...
# A line starting "SUBCOMMAND summary " or "fwd summary " is accepted.
bench_flowgate_cmd_rate() {
    local log=$1 warmup=$2 window=$3 sub=$4; shift 4
    local pid rc opts=()
    while (($#)); do [[ $1 == -- ]] && { shift; break; }; opts+=("$1"); shift; done
    local cmd=("$FLOWGATE" "$sub" "${opts[@]}" --cores "$BENCH_FWD_CORE" --warmup "$warmup"
               --duration "$window" --stats-interval 1 -- "$@")
    echo "# ${cmd[*]}" >"$log"
    (cd "$BENCH_ROOT" && exec timeout -k 5 $((warmup + window + 60)) "${cmd[@]}") >>"$log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait "$pid"; rc=$?; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log" >&2; bench_die "flowgate $sub exited with $rc (see $log)"; }
    BENCH_RATE=$(grep -E "^($sub|fwd) summary " "$log" | tail -1 | tr ' ' '\n' \
        | awk -F= '$1 == "tx_pps" { printf "%.0f\n", $2; f = 1 } END { exit !f }') \
        || bench_die "no '$sub summary ... tx_pps=' line in $log"
}

# bench_flowgate_fwd_rate LOG WARMUP WINDOW EAL_ARGS...: `flowgate fwd`, see above.
bench_flowgate_fwd_rate() {
    local log=$1 warmup=$2 window=$3; shift 3
    bench_flowgate_cmd_rate "$log" "$warmup" "$window" fwd -- "$@"
}

# ---------------------------------------------------------------- any DPDK app
# bench_dpdk_app_rate LOG WARMUP WINDOW PREFIX PORTS COMMAND...
# Runs a DPDK application that prints no rates (l3fwd) in the background and
# measures it from outside through its telemetry socket (perf/lib/dpdk-port-rate.py,
# which explains the method): once port PORTS[0] has started transmitting, wait
# WARMUP s, then BENCH_RATE = that port's opackets delta / monotonic time over the
# next WINDOW s. PORTS is "TX[,AUDIT...]": the audit ports' rx/tx deltas over the
# same window are logged ("audit port=N ... opackets_delta=N ...", see
# bench_dpdk_audit). PREFIX must be the app's --file-prefix. The app is then stopped
# with SIGTERM (l3fwd quits cleanly on it) and must exit 0. The reader runs on the
# main core, never on the forwarding core.
bench_dpdk_app_rate() {
    local log=$1 warmup=$2 window=$3 prefix=$4 ports=$5; shift 5
    local app_pid rd_pid rc p x tel=${log%.log}.telemetry start_timeout=30
    local rd_args=(--prefix "$prefix" --warmup "$warmup" --window "$window"
                   --start-timeout "$start_timeout")
    IFS=, read -r -a p <<<"$ports"
    rd_args+=(--port "${p[0]}")
    for x in "${p[@]:1}"; do rd_args+=(--audit-port "$x"); done
    echo "# $*" >"$log"
    timeout -k 5 $((start_timeout + warmup + window + 30)) "$@" >>"$log" 2>&1 &
    app_pid=$!
    BENCH_PIDS+=("$app_pid")
    timeout -k 2 $((start_timeout + warmup + window + 15)) \
        taskset -c "$BENCH_MAIN_CORE" python3 "$BENCH_ROOT/perf/lib/dpdk-port-rate.py" \
        "${rd_args[@]}" --pid "$app_pid" >"$tel" 2>&1 &
    rd_pid=$!
    BENCH_PIDS+=("$rd_pid")
    wait "$rd_pid"; rc=$?; bench_untrack "$rd_pid"
    if kill -0 "$app_pid" 2>/dev/null; then
        kill -TERM "$app_pid"          # timeout(1) forwards it to the app
    fi
    local app_rc; wait "$app_pid"; app_rc=$?; bench_untrack "$app_pid"
    { echo "# telemetry reader: dpdk-port-rate.py ${rd_args[*]}"; cat "$tel"; } >>"$log"
    ((rc == 0)) || { tail -25 "$log" >&2; bench_die "reading rates from $1 failed (see $log)"; }
    ((app_rc == 0)) || { tail -20 "$log" >&2; bench_die "$1 exited with $app_rc (see $log)"; }
    BENCH_RATE=$(awk '/^rate / { for (i = 2; i <= NF; i++) { split($i, kv, "=");
                     if (kv[1] == "tx_pps") { print kv[2]; f = 1 } } } END { exit !f }' "$tel") \
        || bench_die "no rate in $tel"
}

# bench_dpdk_audit LOG PORT KEY: a value of the "audit port=PORT" line that
# bench_dpdk_app_rate wrote into LOG (e.g. KEY=opackets_delta).
bench_dpdk_audit() {
    awk -v p="port=$2" -v k="$3" '$1 == "audit" && $2 == p { for (i = 3; i <= NF; i++) {
        split($i, kv, "="); if (kv[1] == k) { print kv[2]; f = 1 } } } END { exit !f }' "$1"
}

# ---------------------------------------------------------------- l3fwd
# bench_need_l3fwd: sets BENCH_L3FWD to DPDK's l3fwd example, built from the source
# the dpdk-doc package ships (/usr/share/dpdk/examples/l3fwd, installed if missing)
# with the examples' own Makefile (pkg-config libdpdk, shared linkage), after one
# change: the RX checksum offload request is removed (see bench_l3fwd_patch). The
# build is cached in $BENCH_CACHE/l3fwd-<libdpdk version>-doc<dpdk-doc version>-r<recipe>/
# (git-ignored); l3fwd's code is never committed.
: "${BENCH_CACHE:=$BENCH_ROOT/perf/.cache}"
BENCH_L3FWD_RECIPE=1    # bump when bench_l3fwd_patch or the build steps change
BENCH_DPDK_EXAMPLES=/usr/share/dpdk/examples

bench_need_l3fwd() {
    local ex=$BENCH_DPDK_EXAMPLES ver docver dir tmp
    if [[ ! -f $ex/l3fwd/main.c || ! -d $ex/common ]]; then
        bench_log "l3fwd source missing: apt-get install -y dpdk-doc"
        timeout 600 apt-get install -y dpdk-doc >"$BENCH_DIR/apt-dpdk-doc.log" 2>&1 \
            || bench_die "apt-get install dpdk-doc failed (see $BENCH_DIR/apt-dpdk-doc.log)"
    fi
    [[ -f $ex/l3fwd/main.c ]] || bench_die "no $ex/l3fwd after installing dpdk-doc"
    local t; for t in make cc pkg-config python3 taskset; do
        command -v "$t" >/dev/null 2>&1 || bench_die "$t is needed to build/run l3fwd"
    done
    ver=$(pkg-config --modversion libdpdk 2>/dev/null) \
        || bench_die "pkg-config libdpdk failed (apt-get install -y libdpdk-dev)"
    docver=$(dpkg-query -W -f='${Version}' dpdk-doc 2>/dev/null) || docver=unknown
    [[ $docver == "$ver"* ]] \
        || bench_log "warning: dpdk-doc $docver does not match libdpdk $ver"
    dir=$BENCH_CACHE/l3fwd-$ver-doc$docver-r$BENCH_L3FWD_RECIPE
    BENCH_L3FWD=$dir/l3fwd/build/l3fwd-shared
    if [[ -x $BENCH_L3FWD ]]; then
        bench_log "l3fwd: using ${BENCH_L3FWD#"$BENCH_ROOT"/}"
    else
        bench_log "building l3fwd from $ex/l3fwd (libdpdk $ver)"
        mkdir -p "$BENCH_CACHE" || bench_die "cannot create $BENCH_CACHE"
        tmp=$(mktemp -d "$BENCH_CACHE/.l3fwd-build.XXXXXX") || bench_die "mktemp failed"
        cp -r "$ex/l3fwd" "$ex/common" "$tmp/" || { rm -rf "$tmp"; bench_die "copy failed"; }
        bench_l3fwd_patch "$tmp/l3fwd/main.c" || { rm -rf "$tmp"; bench_die "patching l3fwd failed"; }
        diff -u "$ex/l3fwd/main.c" "$tmp/l3fwd/main.c" >"$tmp/flowgate-l3fwd.diff"
        if ! timeout 600 make -C "$tmp/l3fwd" -j"$(nproc)" shared >"$BENCH_DIR/l3fwd-build.log" 2>&1; then
            rm -rf "$tmp"; bench_die "building l3fwd failed (see $BENCH_DIR/l3fwd-build.log)"
        fi
        if ! { rm -rf "$dir" && mv "$tmp" "$dir"; }; then
            rm -rf "$tmp"; bench_die "cannot move the l3fwd build to $dir"
        fi
    fi
    [[ -x $BENCH_L3FWD ]] || bench_die "no l3fwd binary at $BENCH_L3FWD"
    cp "$dir/flowgate-l3fwd.diff" "$BENCH_DIR/" 2>/dev/null
}

# bench_l3fwd_patch MAIN_C: the only change made to l3fwd. Its port configuration
# asks every port for RTE_ETH_RX_OFFLOAD_CHECKSUM (IPv4/UDP/TCP checksum checked by
# the NIC); net_pcap and net_null do not offer it, so rte_eth_dev_configure() fails
# ("Cannot configure device: err=-22"). The request becomes 0. Nothing else in l3fwd
# reads that offload: its RFC 1812 checks never verify the IPv4 header checksum in
# software ("this is checked in H/W"), they only decrement TTL and adjust the
# checksum. Fails unless the request was present exactly once and is gone after.
bench_l3fwd_patch() {
    local f=$1
    if [[ $(grep -c 'RTE_ETH_RX_OFFLOAD_CHECKSUM' "$f") != 1 ]] \
        || ! grep -Eq '^[[:space:]]*\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,[[:space:]]*$' "$f"; then
        bench_log "l3fwd main.c: the RX checksum offload request is not where expected"; return 1
    fi
    sed -i -E 's|^([[:space:]]*)\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,[[:space:]]*$|\1.offloads = 0, /* flowgate perf/bench: RX checksum offload request removed (virtual devices lack it) */|' "$f"
    ! grep -q 'RTE_ETH_RX_OFFLOAD_CHECKSUM' "$f"
}
