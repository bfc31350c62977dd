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

# ---------------------------------------------------------------- EAL
# bench_eal_args PREFIX: sets BENCH_EAL to the EAL options every DPDK process of a
# benchmark shares (a global, so that the prefix is tracked for cleanup).
# --no-huge -m 512 --no-pci: no huge pages and no NIC here. Never --in-memory with
# --no-huge (DPDK rejects it). Each process gets its own --file-prefix so that
# concurrent/leftover runs never collide; we delete /var/run/dpdk/PREFIX afterwards.
# -l MAIN,FWD: the main lcore on core 0, the single forwarding lcore on core 1.
bench_eal_args() {
    local prefix=$1
    BENCH_PREFIXES+=("$prefix")
    BENCH_EAL=(-l "$BENCH_MAIN_CORE,$BENCH_FWD_CORE" --no-huge -m "$BENCH_MEM_MB"
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
# bench_flowgate_fwd_rate LOG WARMUP WINDOW EAL_ARGS...
# Runs `flowgate fwd` on core $BENCH_FWD_CORE and sets BENCH_RATE to tx_pps from
# its summary line:
#   fwd summary window_s=8.000 rx_pps=NNN tx_pps=NNN drop_pps=NNN rx_total=N ...
bench_flowgate_fwd_rate() {
    local log=$1 warmup=$2 window=$3; shift 3
    local pid rc
    local cmd=("$FLOWGATE" fwd --cores "$BENCH_FWD_CORE" --warmup "$warmup" --duration "$window"
               --stats-interval 1 -- "$@")
    echo "# ${cmd[*]}" >"$log"
    (cd "$BENCH_ROOT" && exec timeout -k 5 $((warmup + window + 60)) "${cmd[@]}") >>"$log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait "$pid"; rc=$?; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log" >&2; bench_die "flowgate fwd exited with $rc (see $log)"; }
    BENCH_RATE=$(grep '^fwd summary ' "$log" | tail -1 | tr ' ' '\n' \
        | awk -F= '$1 == "tx_pps" { printf "%.0f\n", $2; f = 1 } END { exit !f }') \
        || bench_die "no 'fwd summary ... tx_pps=' line in $log"
}
