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
: "${CTU_FLOWGATE_CONNTRACK:=1}"  # 0: flowgate routes without the conntrack section
: "${CTU_CT_CAPACITY:=262144}"    # flowgate conntrack capacity per worker
# EAL memory of both tools: infinite_rx keeps one mbuf per pcap frame (100k), more than
# fits in the 512 MB the other benchmarks use, and OVS sizes its shared mempool itself.
: "${CTU_MEM_MB:=1024}"
: "${CTU_MBUFS:=131071}"          # flowgate run --mbufs: the 100k held by net_pcap + rings
: "${CTU_CPS:=1}"                 # 0 skips the new-connections-per-second measurement
: "${CTU_CPS_FLOWS:=2000000}"
: "${CTU_CPS_CAPACITY:=4194304}"  # flowgate's table for the CPS run: at most half full
: "${CTU_OVS_VSWITCHD:=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}"
CTU_OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

# ---------------------------------------------------------------- prerequisites
# The DPDK build of ovs-vswitchd (Debian's openvswitch-switch-dpdk installs it beside the
# plain one and points the ovs-vswitchd alternative at neither by default: it is called
# by its path here, the system's alternative and service are left alone).
ctu_need_ovs() {
    local t
    if [[ ! -x $CTU_OVS_VSWITCHD ]] || ! command -v ovsdb-server >/dev/null 2>&1; then
        bench_log "OVS with DPDK missing: apt-get install -y openvswitch-switch-dpdk"
        timeout 600 apt-get install -y openvswitch-switch-dpdk >"$BENCH_DIR/apt-ovs.log" 2>&1 \
            || bench_die "apt-get install openvswitch-switch-dpdk failed (see $BENCH_DIR/apt-ovs.log)"
    fi
    [[ -x $CTU_OVS_VSWITCHD ]] || bench_die "no $CTU_OVS_VSWITCHD"
    for t in ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl ovs-ofctl taskset; do
        command -v "$t" >/dev/null 2>&1 || bench_die "$t not found (openvswitch-switch-dpdk)"
    done
    [[ -f $CTU_OVS_SCHEMA ]] || bench_die "no $CTU_OVS_SCHEMA"
    "$CTU_OVS_VSWITCHD" --version 2>&1 | grep -q DPDK || bench_die "$CTU_OVS_VSWITCHD is not built with DPDK"
    "$CTU_OVS_VSWITCHD" --version >>"$BENCH_DIR/env.txt" 2>&1
}

# ---------------------------------------------------------------- OVS
# One private OVS per run: ovsdb-server and ovs-vswitchd with every file in CTU_OVS_DIR.
CTU_OVS_DIR=
CTU_OVS_DB_PID=
CTU_OVS_VS_PID=

# ctu_ovs CMD ARGS...: an OVS utility against the private instance (OVS_RUNDIR finds
# br0.mgmt for ovs-ofctl), bounded in time.
ctu_ovs() {
    OVS_RUNDIR=$CTU_OVS_DIR OVS_LOGDIR=$CTU_OVS_DIR OVS_DBDIR=$CTU_OVS_DIR OVS_SYSCONFDIR=$CTU_OVS_DIR \
        timeout -k 2 30 "$@"
}
ctu_vsctl() { ctu_ovs ovs-vsctl "--db=unix:$CTU_OVS_DIR/db.sock" --timeout=25 "$@"; }
ctu_appctl() { ctu_ovs ovs-appctl -t "$CTU_OVS_DIR/vswitchd.ctl" "$@"; }

# ctu_ovs_start DIR PREFIX PORT0_DEVARGS LOG: ovsdb-server, ovs-vswitchd with DPDK on the
# two vdevs, bridge br0 with the ct(commit) rule installed before its ports exist (so
# the first packet already meets it; fail_mode=secure: no NORMAL flooding meanwhile).
# Traffic starts when p0 is added.
ctu_ovs_start() {
    local dir=$1 prefix=$2 port0=$3 log=$4 i
    CTU_OVS_DIR=$dir
    mkdir -p "$dir" || bench_die "cannot create $dir"
    # unix socket paths are limited to 107 bytes
    ((${#dir} + 16 < 108)) || bench_die "OVS run directory path too long for its sockets: $dir"
    ctu_ovs ovsdb-tool create "$dir/conf.db" "$CTU_OVS_SCHEMA" >>"$log" 2>&1 || bench_die "ovsdb-tool create failed"
    OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir \
        timeout -k 5 600 taskset -c "$BENCH_MAIN_CORE" ovsdb-server "$dir/conf.db" \
        "--remote=punix:$dir/db.sock" "--unixctl=$dir/ovsdb-server.ctl" "--pidfile=$dir/ovsdb-server.pid" \
        "--log-file=$dir/ovsdb-server.log" --no-chdir >>"$dir/ovsdb-server.out" 2>&1 &
    CTU_OVS_DB_PID=$!; BENCH_PIDS+=("$CTU_OVS_DB_PID")
    for ((i = 0; i < 100; i++)); do [[ -S $dir/db.sock ]] && break; sleep 0.1; done
    [[ -S $dir/db.sock ]] || bench_die "ovsdb-server did not start (see $dir/ovsdb-server.log)"

    # dpdk-extra: OVS 3.1 adds --in-memory unless --legacy-mem is given, and DPDK rejects
    # --in-memory with --no-huge. OVS adds `-l <first CPU of its affinity>` itself:
    # ovs-vswitchd runs under taskset on the main core, so that is the main core.
    local extra="--no-huge -m $CTU_MEM_MB --no-pci --file-prefix=$prefix --legacy-mem"
    extra+=" --vdev=$port0 --vdev=net_null0,no-rx=1"
    BENCH_PREFIXES+=("$prefix")
    ctu_vsctl --no-wait init >>"$log" 2>&1 || bench_die "ovs-vsctl init failed"
    ctu_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        "other_config:pmd-cpu-mask=$(printf '0x%x' $((1 << BENCH_FWD_CORE)))" \
        "other_config:dpdk-extra=$extra" >>"$log" 2>&1 || bench_die "ovs-vsctl set other_config failed"
    echo "# dpdk-extra: $extra" >>"$log"

    # OVS_RUNDIR also places the bridge's OpenFlow socket (br0.mgmt) in $dir, not in /var/run/openvswitch.
    OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir \
        timeout -k 5 600 taskset -c "$BENCH_MAIN_CORE" "$CTU_OVS_VSWITCHD" "unix:$dir/db.sock" \
        "--unixctl=$dir/vswitchd.ctl" "--pidfile=$dir/vswitchd.pid" "--log-file=$dir/vswitchd.log" \
        --no-chdir >>"$dir/vswitchd.out" 2>&1 &
    CTU_OVS_VS_PID=$!; BENCH_PIDS+=("$CTU_OVS_VS_PID")
    for ((i = 0; i < 300; i++)); do
        [[ -S $dir/vswitchd.ctl ]] && break
        kill -0 "$CTU_OVS_VS_PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -S $dir/vswitchd.ctl ]] || { tail -20 "$dir/vswitchd.log" >&2; bench_die "ovs-vswitchd did not start (see $dir/vswitchd.log)"; }

    ctu_vsctl add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure >>"$log" 2>&1 \
        || bench_die "ovs-vsctl add-br failed (see $dir/vswitchd.log)"
    ctu_ovs ovs-ofctl del-flows br0 >>"$log" 2>&1 || bench_die "ovs-ofctl del-flows failed"
    ctu_ovs ovs-ofctl add-flow br0 "in_port=1,udp,actions=ct(commit),output:2" >>"$log" 2>&1 \
        || bench_die "ovs-ofctl add-flow failed"
    ctu_vsctl add-port br0 p1 -- set Interface p1 type=dpdk options:dpdk-devargs=net_null0 ofport_request=2 \
        >>"$log" 2>&1 || bench_die "adding the dpdk port p1 (net_null0) failed (see $dir/vswitchd.log)"
    ctu_vsctl add-port br0 p0 -- set Interface p0 type=dpdk options:dpdk-devargs=net_pcap0 ofport_request=1 \
        >>"$log" 2>&1 || bench_die "adding the dpdk port p0 (net_pcap0) failed (see $dir/vswitchd.log)"
    local of0 of1
    of0=$(ctu_vsctl get Interface p0 ofport) of1=$(ctu_vsctl get Interface p1 ofport)
    [[ $of0 == 1 && $of1 == 2 ]] || bench_die "OVS gave the ports OpenFlow numbers $of0 and $of1, not 1 and 2"
    { echo "# OpenFlow rules:"; ctu_ovs ovs-ofctl dump-flows br0; echo "# ct-get-maxconns: $(ctu_appctl dpctl/ct-get-maxconns)"; } >>"$log" 2>&1
}

# ctu_ovs_stop LOG: ovs-vswitchd exits through its control socket (closing its DPDK
# ports), then ovsdb-server; TERM if either does not within 20 s.
ctu_ovs_stop() {
    local log=$1
    {
        echo "# datapath at exit:"; ctu_appctl dpctl/show -s; ctu_appctl dpif-netdev/pmd-stats-show
        ctu_appctl exit
    } >>"$log" 2>&1
    ctu_ovs_reap "$CTU_OVS_VS_PID"
    ctu_ovs ovs-appctl -t "$CTU_OVS_DIR/ovsdb-server.ctl" exit >>"$log" 2>&1
    ctu_ovs_reap "$CTU_OVS_DB_PID"
    CTU_OVS_VS_PID='' CTU_OVS_DB_PID=''
}

# ctu_ovs_reap PID: wait up to 20 s for PID (a timeout(1) wrapper) to exit, then TERM it.
ctu_ovs_reap() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { bench_log "warning: OVS process $pid did not exit: TERM"; kill -TERM "$pid"; }
    wait "$pid" 2>/dev/null; bench_untrack "$pid"
}

# ctu_ovs_counters: "TIME P0_RX P0_TX P1_TX" from `dpctl/show -s` (dpif-netdev reads the
# DPDK devices' counters at that moment, unlike the Interface table's statistics column,
# which ovs-vswitchd refreshes every 5 s). TIME (s, CLOCK_REALTIME) is the midpoint of
# the call, which takes a few ms.
ctu_ovs_counters() {
    local t0 t1 out
    t0=$EPOCHREALTIME
    out=$(ctu_appctl dpctl/show -s) || return 1
    t1=$EPOCHREALTIME
    awk -v t0="$t0" -v t1="$t1" '
        $1 == "port" { name = $3; next }
        $1 == "RX" && $2 ~ /^packets:/ { split($2, a, ":"); rx[name] = a[2] }
        $1 == "TX" && $2 ~ /^packets:/ { split($2, a, ":"); tx[name] = a[2] }
        END { if (!("p0" in rx) || !("p1" in tx)) exit 1
              printf "%.6f %d %d %d\n", (t0 + t1) / 2, rx["p0"], tx["p0"], tx["p1"] }' <<<"$out"
}

# ctu_ovs_conns: connections in OVS's userspace conntrack (ct-stats-show's total).
ctu_ovs_conns() {
    ctu_appctl dpctl/ct-stats-show | awk '/Total:/ { for (i = 1; i <= NF; i++) if ($i == "Total:") print $(i+1); f = 1; exit }
        END { exit !f }'
}

# ctu_check_conns WHO N: N connections must be 99..101% of the flows.
ctu_check_conns() {
    awk -v n="$2" -v f="$CTU_FLOWS" 'BEGIN { exit !(n >= 0.99 * f && n <= 1.01 * f) }' \
        || bench_die "$1 holds $2 connections for $CTU_FLOWS flows"
}

# ctu_ovs_rate LOG PREFIX PCAP: BENCH_RATE = port 1's transmit rate (packets/s) over
# the window, which starts BENCH_WARMUP s after OVS's conntrack holds every flow.
ctu_ovs_rate() {
    local log=$1 prefix=$2 pcap=$3 dir=${1%.log} i n a b
    echo "# OVS userspace datapath, ct(commit) on every UDP packet; files in $dir/" >"$log"
    ctu_ovs_start "$dir" "$prefix" "net_pcap0,rx_pcap=$pcap,infinite_rx=1" "$log"
    for ((i = 0; i < 120; i++)); do     # 100k connections take well under a second at Mpps
        n=$(ctu_ovs_conns) || n=0
        awk -v n="$n" -v f="$CTU_FLOWS" 'BEGIN { exit !(n >= 0.99 * f) }' && break
        kill -0 "$CTU_OVS_VS_PID" 2>/dev/null || break
        bench_sleep 0.5
    done
    echo "# conntrack holds $n connections after $((i / 2)) s" >>"$log"
    bench_sleep "$BENCH_WARMUP"
    a=$(ctu_ovs_counters) || { ctu_ovs_stop "$log"; bench_die "cannot read OVS port counters (see $log)"; }
    bench_sleep "$BENCH_WINDOW"
    b=$(ctu_ovs_counters) || { ctu_ovs_stop "$log"; bench_die "cannot read OVS port counters (see $log)"; }
    {
        echo "# counters (time p0_rx p0_tx p1_tx) before and after the window:"
        echo "window-start $a"; echo "window-end $b"
        echo "# datapath flows:"; ctu_appctl dpctl/dump-flows
        echo "# dpctl/dump-conntrack | wc -l: $(ctu_appctl dpctl/dump-conntrack | wc -l)"
        echo "# dpctl/ct-stats-show:"; ctu_appctl dpctl/ct-stats-show
        echo "# pmd-stats-show:"; ctu_appctl dpif-netdev/pmd-stats-show
    } >>"$log" 2>&1
    n=$(awk '/^# dpctl\/dump-conntrack \| wc -l: / { print $NF }' "$log")
    ctu_ovs_stop "$log"
    grep -q 'actions:ct(commit)' "$log" || bench_die "OVS's datapath flow does not run ct(commit) (see $log)"
    ctu_check_conns OVS "$n"
    bench_log "OVS: datapath flow $(grep -o 'actions:ct(commit)[^ ]*' "$log" | head -1), $n conntrack entries"
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
# ctu_slope FILE: FILE holds "TIME COUNT" samples of port 1's transmitted packets while
# CTU_CPS_FLOWS new flows pass once; prints the rate between the moments the count
# crossed 10% and 90% of them (start-up and tail left out), each found by linear
# interpolation between the two samples around it. Fails if 90% is never reached.
ctu_slope() {
    awk -v n="$CTU_CPS_FLOWS" '
        function cross(level) { return pt + (level - pc) * ($1 - pt) / ($2 - pc) }
        NR > 1 && !lo && $2 >= 0.1 * n && $2 > pc { t10 = cross(0.1 * n); lo = 1 }
        NR > 1 && lo && $2 >= 0.9 * n && $2 > pc { t90 = cross(0.9 * n)
            if (t90 > t10) { printf "%.0f\n", 0.8 * n / (t90 - t10); f = 1 }; exit }
        { pt = $1; pc = $2 }
        END { exit !f }' "$1"
}

# ctu_ovs_cps LOG PREFIX PCAP: BENCH_RATE = OVS's new connections per second.
ctu_ovs_cps() {
    local log=$1 prefix=$2 pcap=$3 dir=${1%.log} s=${1%.log}.samples c i n last=-1 still=0
    echo "# OVS, ct(commit), $CTU_CPS_FLOWS new flows once; files in $dir/" >"$log"
    ctu_ovs_start "$dir" "$prefix" "net_pcap0,rx_pcap=$pcap" "$log"
    : >"$s"
    # Sample every ~0.1 s (plus the call) until all frames are out or the count has not
    # moved for ~1 s (the few hundred packets lost while the first upcall installs the megaflow
    # never arrive); at most ~60 s.
    for ((i = 0; i < 600; i++)); do
        c=$(ctu_ovs_counters) || break
        read -r -a c <<<"$c"
        echo "${c[0]} ${c[3]}" >>"$s"
        ((c[3] >= CTU_CPS_FLOWS)) && break
        if ((c[3] == last && c[3] > 0)); then ((++still >= 10)) && break; else still=0; fi
        last=${c[3]}
        sleep 0.1
    done
    # read at once: OVS expires unreplied UDP connections after its udp_first timeout
    n=$(ctu_ovs_conns) || n=0
    echo "# port 1 transmitted ${c[3]:-?} of $CTU_CPS_FLOWS; conntrack connections at the end: $n" >>"$log"
    ctu_ovs_stop "$log"
    BENCH_RATE=$(ctu_slope "$s") || bench_die "OVS did not forward 90% of the $CTU_CPS_FLOWS new flows (see $s)"
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
    BENCH_RATE=$(ctu_slope "$s") || bench_die "flowgate did not forward 90% of the $CTU_CPS_FLOWS new flows (see $s)"
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
    ctu_need_ovs
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
