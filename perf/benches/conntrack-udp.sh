# shellcheck shell=bash
# conntrack-udp: flowgate routing with connection tracking on 100k established UDP flows
# against Open vSwitch's userspace (DPDK) datapath committing every packet to its
# conntrack (`ct(commit)`).
#
# Same core, same devices, same traffic for both tools (as l3-route, whose helpers this
# file reuses):
#   port 0: net_pcap0,rx_pcap=<pcap>,infinite_rx=1   replays the pcap forever
#   port 1: net_null0,no-rx=1                        frees what it is sent
#   Traffic: `flowgate gen-pcap --flows 100000 --size 64`: 64-byte Ethernet/IPv4/UDP,
#     198.18.0.1+i:1024+(i mod 64512) -> 198.19.0.1:9, one frame per flow, so 100k
#     distinct 5-tuples, each seen once per pass over the pcap.
#   Core: the forwarding core $BENCH_FWD_CORE for both: OVS's only PMD thread
#     (pmd-cpu-mask) and flowgate's only worker. Everything else (OVS main and
#     handler threads, ovsdb-server, the JVM's other threads, this script) on
#     $BENCH_MAIN_CORE.
#   OVS: a private ovsdb-server + ovs-vswitchd-dpdk (run, db and log files in
#     $BENCH_DIR/ovs-N/, own DPDK --file-prefix), a netdev bridge in fail_mode=secure
#     with one OpenFlow rule `in_port=1,udp,actions=ct(commit),output:2`.
#   flowgate: `flowgate run --config` with l3-route's ports, routes and neighbour plus
#     `conntrack: {enabled: true, capacity: 262144}` (CTU_FLOWGATE_CONNTRACK=0 leaves
#     the section out: plain routing, to test this script without the tracker).
#   Rate: packets transmitted on port 1 per second over BENCH_WINDOW s after
#     BENCH_WARMUP s that start once every flow has its connection (OVS: conntrack
#     holds >= 99% of the flows). OVS: the TX packets delta of port 1 in
#     `ovs-appctl dpctl/show -s` (read live from the device) over the elapsed time
#     between the two reads; flowgate: tx_pps of its final summary line.
#   Checks (a failed one fails the run): OVS's datapath flow shows ct(commit), its
#     conntrack holds 99..101% of the flows, port 1 sent >= 99% of what port 0
#     received and port 0 sent nothing; flowgate: l3-route's routing audit and, when
#     its output has a `conntrack ... entries=N` line, N within 99..101% of the flows.
#   Schedule: OVS, flowgate, OVS, ... BENCH_ROUNDS times; medians.
#   CPS (CTU_CPS=1, the default): a second pcap of CTU_CPS_FLOWS frames, every one a new
#     5-tuple, read once (no infinite_rx); each tool's rate of new connections is the
#     slope of port 1's transmitted count between 10% and 90% of the frames (sampled
#     every 0.1 s). Printed as `conntrack-udp-cps ...` before the last line.
#
# The last line:
#   conntrack-udp ratio=R flowgate=X reference=Y unit=Mpps reference_name=ovs-dpdk-ct-commit
# BENCH_REFERENCE_ONLY=1 (l3-route's switch) runs only the OVS rounds and prints their median
# (not a contract line).

# shellcheck source=perf/benches/l3-route.sh
source "$BENCHES_DIR/l3-route.sh"

CTU_FLOWS=100000
CTU_SIZE=64
CTU_REFERENCE_NAME=ovs-dpdk-ct-commit
CTU_OVS_FLOW="in_port=1,udp,actions=ct(commit),output:2"
CTU_OVS_DP_ACTION="actions:ct(commit)"   # what its datapath flow must show
: "${CTU_FLOWGATE_CONNTRACK:=1}"  # 0: flowgate routes without the conntrack section
: "${CTU_CT_CAPACITY:=262144}"    # flowgate conntrack capacity per worker
# EAL memory of both tools: infinite_rx keeps one mbuf per pcap frame (100k), more than
# fits in the 512 MB the other benchmarks use, and OVS sizes its shared mempool itself.
: "${CTU_MEM_MB:=1024}"
: "${CTU_MBUFS:=131071}"          # flowgate run --mbufs: the 100k held by net_pcap + rings
: "${CTU_CPS:=1}"                 # 0 skips the new-connections-per-second measurement
: "${CTU_CPS_FLOWS:=2000000}"
: "${CTU_CPS_CAPACITY:=4194304}"  # flowgate's table for the CPS run: at most half full

# The private OVS instance (prerequisites, start/stop, counters) is perf/lib/ovs-dpdk.sh.
# shellcheck source=perf/lib/ovs-dpdk.sh
source "$BENCH_ROOT/perf/lib/ovs-dpdk.sh"

# ctu_check_conns WHO N: N connections must be 99..101% of the flows.
ctu_check_conns() {
    awk -v n="$2" -v f="$CTU_FLOWS" 'BEGIN { exit !(n >= 0.99 * f && n <= 1.01 * f) }' \
        || bench_die "$1 holds $2 connections for $CTU_FLOWS flows"
}

# ctu_ovs_ct_entries DIR: the connections in OVS's conntrack as dpctl/dump-conntrack lists
# them (nat44-udp replaces it: only translated connections count there).
ctu_ovs_ct_entries() {
    ovs_appctl dpctl/dump-conntrack | wc -l
}

# ctu_ovs_rate LOG PREFIX PCAP: BENCH_RATE = port 1's transmit rate (packets/s) over
# the window, which starts BENCH_WARMUP s after OVS's conntrack holds every flow.
ctu_ovs_rate() {
    local log=$1 prefix=$2 pcap=$3 dir=${1%.log} i n a b
    echo "# OVS userspace datapath, ct(commit) on every UDP packet; files in $dir/" >"$log"
    ovs_start "$dir" "$prefix" "net_pcap0,rx_pcap=$pcap,infinite_rx=1" "$log" "$CTU_OVS_FLOW"
    for ((i = 0; i < 120; i++)); do     # 100k connections take well under a second at Mpps
        n=$(ovs_conns) || n=0
        awk -v n="$n" -v f="$CTU_FLOWS" 'BEGIN { exit !(n >= 0.99 * f) }' && break
        kill -0 "$BENCH_OVS_VS_PID" 2>/dev/null || break
        bench_sleep 0.5
    done
    echo "# conntrack holds $n connections after $((i / 2)) s" >>"$log"
    bench_sleep "$BENCH_WARMUP"
    a=$(ovs_counters) || { ovs_stop "$log"; bench_die "cannot read OVS port counters (see $log)"; }
    bench_sleep "$BENCH_WINDOW"
    b=$(ovs_counters) || { ovs_stop "$log"; bench_die "cannot read OVS port counters (see $log)"; }
    {
        echo "# counters (time p0_rx p0_tx p1_tx) before and after the window:"
        echo "window-start $a"; echo "window-end $b"
        echo "# datapath flows:"; ovs_appctl dpctl/dump-flows
        echo "# conntrack entries (ctu_ovs_ct_entries): $(ctu_ovs_ct_entries "$dir")"
        echo "# dpctl/ct-stats-show:"; ovs_appctl dpctl/ct-stats-show
        echo "# pmd-stats-show:"; ovs_appctl dpif-netdev/pmd-stats-show
    } >>"$log" 2>&1
    n=$(awk '/^# conntrack entries \(ctu_ovs_ct_entries\): / { print $NF }' "$log")
    ovs_stop "$log"
    grep -qF "$CTU_OVS_DP_ACTION" "$log" || bench_die "OVS's datapath flow does not run $CTU_OVS_DP_ACTION (see $log)"
    ctu_check_conns OVS "$n"
    bench_log "OVS: datapath flow $(grep -o 'actions:ct([^ ]*' "$log" | head -1), $n conntrack entries"
    read -r -a a <<<"$a"; read -r -a b <<<"$b"
    local v
    v=$(awk -v t0="${a[0]}" -v t1="${b[0]}" -v rx="$((b[1] - a[1]))" -v tx0="$((b[2] - a[2]))" -v tx1="$((b[3] - a[3]))" 'BEGIN {
        if (tx0 != 0) { print "port 0 transmitted " tx0 " packets"; exit }
        if (rx <= 0 || tx1 < 0.99 * rx) { print "port 1 transmitted " tx1 " of " rx " received"; exit }
        printf "ok %.0f %.3f\n", tx1 / (t1 - t0), t1 - t0 }')
    [[ $v == ok* ]] || bench_die "OVS did not forward all traffic to port 1: $v (see $log)"
    read -r _ BENCH_RATE i <<<"$v"
    echo "# rate: port 1 TX packets delta $((b[3] - a[3])) over ${i} s = $BENCH_RATE pps" >>"$log"
}

# ---------------------------------------------------------------- flowgate
# ctu_write_flowgate_config FILE PORT0_DEVICE CAPACITY EAL_ARGS...: l3-route's ports,
# routes and neighbour, plus the conntrack section unless CTU_FLOWGATE_CONNTRACK=0.
ctu_write_flowgate_config() {
    local file=$1 dev0=$2 capacity=$3 a first=1; shift 3
    {
        echo "# conntrack-udp: flowgate's side (l3-route's routing, with connection tracking)"
        printf 'eal: ['
        for a in "$@"; do ((first)) || printf ', '; printf '"%s"' "$a"; first=0; done
        echo ']'
        echo "workers: [$BENCH_FWD_CORE]"
        echo "ports:"
        echo "  - name: p0"
        echo "    device: $dev0"
        echo "    addresses: [198.18.255.254/16]"
        echo "  - name: p1"
        echo "    device: net_null0,no-rx=1"
        echo "    addresses: [198.19.255.254/16]"
        echo "neighbours:"
        echo "  - {port: p1, address: 198.19.0.1, mac: \"${L3R_NEIGHBOURS[1]#* }\"}"
        if [[ $CTU_FLOWGATE_CONNTRACK == 1 ]]; then
            echo "conntrack:"
            echo "  enabled: true"
            echo "  capacity: $capacity"
        fi
    } >"$file"
}

# ctu_flowgate_conns LOG: entries=N of flowgate's last "conntrack ..." line (none: fails).
ctu_flowgate_conns() {
    grep -E '^conntrack ' "$1" | tail -1 | tr ' ' '\n' \
        | awk -F= '$1 == "entries" { print $2; f = 1 } END { exit !f }'
}

# ctu_check_flowgate_conntrack LOG: log flowgate's conntrack lines; with conntrack on,
# its entries must be 99..101% of the flows.
ctu_check_flowgate_conntrack() {
    local log=$1 n
    if ! grep -qE '^conntrack ' "$log"; then
        [[ $CTU_FLOWGATE_CONNTRACK == 1 ]] \
            && bench_log "warning: no 'conntrack ... entries=N' line in $log: flowgate's conntrack not verified"
        return 0
    fi
    grep -E '^conntrack ' "$log" | tail -3 | while read -r line; do bench_log "flowgate: $line"; done
    [[ $CTU_FLOWGATE_CONNTRACK == 1 ]] || return 0
    n=$(ctu_flowgate_conns "$log") || bench_die "no entries=N in flowgate's conntrack lines (see $log)"
    ctu_check_conns flowgate "$n"
}

# ---------------------------------------------------------------- connections per second
# ctu_ovs_cps LOG PREFIX PCAP: BENCH_RATE = OVS's new connections per second.
ctu_ovs_cps() {
    local log=$1 prefix=$2 pcap=$3 dir=${1%.log} s=${1%.log}.samples c i n last=-1 still=0
    echo "# OVS, ct(commit), $CTU_CPS_FLOWS new flows once; files in $dir/" >"$log"
    ovs_start "$dir" "$prefix" "net_pcap0,rx_pcap=$pcap" "$log" "$CTU_OVS_FLOW"
    : >"$s"
    # Sample every ~0.1 s (plus the call) until all frames are out or the count has not
    # moved for ~1 s (the few hundred packets lost while the first upcall installs the megaflow
    # never arrive); at most ~60 s.
    for ((i = 0; i < 600; i++)); do
        c=$(ovs_counters) || break
        read -r -a c <<<"$c"
        echo "${c[0]} ${c[3]}" >>"$s"
        ((c[3] >= CTU_CPS_FLOWS)) && break
        if ((c[3] == last && c[3] > 0)); then ((++still >= 10)) && break; else still=0; fi
        last=${c[3]}
        sleep 0.1
    done
    # read at once: OVS expires unreplied UDP connections after its udp_first timeout
    n=$(ovs_conns) || n=0
    echo "# port 1 transmitted ${c[3]:-?} of $CTU_CPS_FLOWS; conntrack connections at the end: $n" >>"$log"
    ovs_stop "$log"
    BENCH_RATE=$(bench_slope "$s" "$CTU_CPS_FLOWS") || bench_die "OVS did not forward 90% of the $CTU_CPS_FLOWS new flows (see $s)"
    ((${c[3]:-0} >= CTU_CPS_FLOWS * 99 / 100)) \
        || bench_die "OVS forwarded ${c[3]:-0} of the $CTU_CPS_FLOWS new flows (see $log)"
    ((n >= CTU_CPS_FLOWS * 99 / 100)) || bench_die "OVS conntrack holds $n connections after $CTU_CPS_FLOWS new flows (see $log)"
    echo "# cps: $BENCH_RATE new connections/s (slope of port 1 tx between 10% and 90%, $s)" >>"$log"
}

# ctu_flowgate_cps LOG CONFIG: flowgate's new connections per second, from its counter
# lines every 0.1 s ("route t=S rx=N tx=N ...": tx against t).
ctu_flowgate_cps() {
    local log=$1 config=$2 pid rc s=${1%.log}.samples n
    local secs=$((CTU_CPS_FLOWS / 250000 + 4))     # enough down to 0.3 M new connections/s
    local cmd=("$FLOWGATE" run --config "$config" --warmup 0 --duration "$secs" --stats-interval 0.1 --mbufs "$CTU_MBUFS"
        --socket "$BENCH_DIR/flowgate-cps.sock")
    echo "# ${cmd[*]}" >"$log"
    (cd "$BENCH_ROOT" && exec timeout -k 5 $((secs + 60)) "${cmd[@]}") >>"$log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    wait "$pid"; rc=$?; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log" >&2; bench_die "flowgate run exited with $rc (see $log)"; }
    awk '$1 == "route" && $2 ~ /^t=/ { t = $2; sub(/^t=/, "", t); sub(/s$/, "", t)
            for (i = 3; i <= NF; i++) if ($i ~ /^tx=/) { print t, substr($i, 4) } }' "$log" >"$s"
    BENCH_RATE=$(bench_slope "$s" "$CTU_CPS_FLOWS") || bench_die "flowgate did not forward 90% of the $CTU_CPS_FLOWS new flows (see $s)"
    l3r_audit_flowgate "$log"
    n=$(tail -1 "$s" | cut -d' ' -f2)
    ((n >= CTU_CPS_FLOWS * 99 / 100)) || bench_die "flowgate forwarded $n of the $CTU_CPS_FLOWS new flows (see $log)"
    if [[ $CTU_FLOWGATE_CONNTRACK == 1 ]] && n=$(ctu_flowgate_conns "$log"); then
        ((n >= CTU_CPS_FLOWS * 99 / 100)) || bench_die "flowgate's conntrack holds $n entries after $CTU_CPS_FLOWS new flows"
    fi
    echo "# cps: $BENCH_RATE new connections/s (slope of port 1 tx between 10% and 90%, $s)" >>"$log"
}

# ctu_check_flowgate_config PCAP: `flowgate config check` must accept the file the rounds
# will use (a loader that does not know the conntrack section refuses it).
ctu_check_flowgate_config() {
    local file=$BENCH_DIR/flowgate-check.yaml
    bench_eal_args "$(bench_prefix check)" "$BENCH_MAIN_CORE"
    ctu_write_flowgate_config "$file" "net_pcap0,rx_pcap=$1,infinite_rx=1" "$CTU_CT_CAPACITY" "${BENCH_EAL[@]}"
    if ! (cd "$BENCH_ROOT" && timeout -k 5 120 "$FLOWGATE" config check "$file") >"$BENCH_DIR/flowgate-config-check.log" 2>&1; then
        cat "$BENCH_DIR/flowgate-config-check.log" >&2
        bench_die "flowgate refuses its configuration (CTU_FLOWGATE_CONNTRACK=0 runs without the conntrack section)"
    fi
}

# ---------------------------------------------------------------- main
ctu_gen_pcap() {
    local out=$1 flows=$2
    bench_log "generating $flows-flow ${CTU_SIZE}-byte UDP pcap"
    (cd "$BENCH_ROOT" && timeout -k 5 300 "$FLOWGATE" gen-pcap --out "$out" --flows "$flows" --size "$CTU_SIZE") \
        >>"$BENCH_DIR/gen-pcap.log" 2>&1 || bench_die "flowgate gen-pcap failed (see $BENCH_DIR/gen-pcap.log)"
    [[ -s $out ]] || bench_die "gen-pcap wrote no $out"
}

bench_main() {
    bench_need_flowgate
    ovs_need
    # shellcheck disable=SC2034  # read by bench_eal_args
    BENCH_MEM_MB=$CTU_MEM_MB
    echo "conntrack_udp flows=$CTU_FLOWS flowgate_conntrack=$CTU_FLOWGATE_CONNTRACK capacity=$CTU_CT_CAPACITY mem_mb=$CTU_MEM_MB mbufs=$CTU_MBUFS cps=$CTU_CPS cps_flows=$CTU_CPS_FLOWS" \
        >>"$BENCH_DIR/env.txt"
    [[ $CTU_FLOWGATE_CONNTRACK == 1 ]] \
        || bench_log "CTU_FLOWGATE_CONNTRACK=$CTU_FLOWGATE_CONNTRACK: flowgate routes WITHOUT conntrack (harness test, not a conntrack result)"

    local pcap=$BENCH_DIR/udp-${CTU_FLOWS}flows-${CTU_SIZE}B.pcap cps_pcap=
    ctu_gen_pcap "$pcap" "$CTU_FLOWS"
    if [[ $CTU_CPS == 1 ]]; then
        cps_pcap=$BENCH_DIR/udp-${CTU_CPS_FLOWS}flows-${CTU_SIZE}B.pcap
        ctu_gen_pcap "$cps_pcap" "$CTU_CPS_FLOWS"
        BENCH_TMPFILES+=("$cps_pcap")     # ~76 MB per million frames: not kept
    fi

    # Before any round: a loader without the conntrack section refuses the file.
    [[ $BENCH_REFERENCE_ONLY == 1 ]] || ctu_check_flowgate_config "$pcap"

    local ref=() fg=() ref_cps=() fg_cps=() r mpps log
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        log=$BENCH_DIR/ovs-$r.log
        bench_log "round $r/$BENCH_ROUNDS: OVS ct(commit) (conntrack filled, ${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window)"
        ctu_ovs_rate "$log" "$(bench_prefix "ovs-$r")" "$pcap"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref+=("$mpps")
        echo "conntrack-udp round=$r tool=$CTU_REFERENCE_NAME mpps=$mpps"

        if [[ $BENCH_REFERENCE_ONLY == 1 ]]; then
            [[ $CTU_CPS == 1 ]] || continue
            bench_log "round $r/$BENCH_ROUNDS: OVS new connections per second ($CTU_CPS_FLOWS new flows)"
            ctu_ovs_cps "$BENCH_DIR/ovs-cps-$r.log" "$(bench_prefix "ovs-cps-$r")" "$cps_pcap"
            mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref_cps+=("$mpps")
            echo "conntrack-udp-cps round=$r tool=$CTU_REFERENCE_NAME mcps=$mpps"
            continue
        fi
        bench_eal_args "$(bench_prefix "flowgate-$r")" "$BENCH_MAIN_CORE"
        bench_log "round $r/$BENCH_ROUNDS: flowgate run --config, conntrack=$CTU_FLOWGATE_CONNTRACK (${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window)"
        ctu_write_flowgate_config "$BENCH_DIR/flowgate-$r.yaml" "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
            "$CTU_CT_CAPACITY" "${BENCH_EAL[@]}"
        log=$BENCH_DIR/flowgate-route-$r.log
        l3r_flowgate_rate "$log" "$BENCH_DIR/flowgate-$r.yaml" --mbufs "$CTU_MBUFS" --socket "$BENCH_DIR/flowgate-$r.sock"
        l3r_audit_flowgate "$log"
        ctu_check_flowgate_conntrack "$log"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); fg+=("$mpps")
        echo "conntrack-udp round=$r tool=flowgate conntrack=$CTU_FLOWGATE_CONNTRACK mpps=$mpps"

        [[ $CTU_CPS == 1 ]] || continue
        bench_log "round $r/$BENCH_ROUNDS: OVS new connections per second ($CTU_CPS_FLOWS new flows)"
        ctu_ovs_cps "$BENCH_DIR/ovs-cps-$r.log" "$(bench_prefix "ovs-cps-$r")" "$cps_pcap"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref_cps+=("$mpps")
        echo "conntrack-udp-cps round=$r tool=$CTU_REFERENCE_NAME mcps=$mpps"
        bench_eal_args "$(bench_prefix "flowgate-cps-$r")" "$BENCH_MAIN_CORE"
        bench_log "round $r/$BENCH_ROUNDS: flowgate new connections per second ($CTU_CPS_FLOWS new flows)"
        ctu_write_flowgate_config "$BENCH_DIR/flowgate-cps-$r.yaml" "net_pcap0,rx_pcap=$cps_pcap" \
            "$CTU_CPS_CAPACITY" "${BENCH_EAL[@]}"
        ctu_flowgate_cps "$BENCH_DIR/flowgate-cps-$r.log" "$BENCH_DIR/flowgate-cps-$r.yaml"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); fg_cps+=("$mpps")
        echo "conntrack-udp-cps round=$r tool=flowgate conntrack=$CTU_FLOWGATE_CONNTRACK mcps=$mpps"
    done

    local x y
    y=$(bench_median "${ref[@]}")
    echo "conntrack-udp $CTU_REFERENCE_NAME runs: ${ref[*]} (Mpps)"
    if [[ $BENCH_REFERENCE_ONLY == 1 ]]; then
        [[ $CTU_CPS == 1 ]] && echo "conntrack-udp-cps reference-only $CTU_REFERENCE_NAME median=$(bench_median "${ref_cps[@]}") unit=Mcps"
        echo "conntrack-udp reference-only $CTU_REFERENCE_NAME median=$y unit=Mpps (no flowgate runs, not a result line)" \
            | tee "$BENCH_DIR/reference-only.txt"
        return 0
    fi
    x=$(bench_median "${fg[@]}")
    echo "conntrack-udp flowgate runs: ${fg[*]} (Mpps, conntrack=$CTU_FLOWGATE_CONNTRACK)"
    if [[ $CTU_CPS == 1 ]]; then
        local xc yc
        yc=$(bench_median "${ref_cps[@]}") xc=$(bench_median "${fg_cps[@]}")
        echo "conntrack-udp-cps ratio=$(bench_ratio "$xc" "$yc") flowgate=$xc reference=$yc unit=Mcps reference_name=$CTU_REFERENCE_NAME" \
            | tee "$BENCH_DIR/result-cps.txt"
    fi
    bench_result conntrack-udp "$(bench_ratio "$x" "$y")" "$x" "$y" Mpps "$CTU_REFERENCE_NAME" \
        | tee "$BENCH_DIR/result.txt"
}
