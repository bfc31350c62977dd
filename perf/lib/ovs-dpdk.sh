# shellcheck shell=bash
# A private Open vSwitch with its userspace (DPDK) datapath, the reference of the benchmarks
# that compare flowgate with OVS (conntrack-udp, nat44-udp). Sourced after bench-common.sh.
#
# Layout: p0 (OpenFlow port 1) receives from a DPDK vdev given per run (net_pcap replaying a
# pcap), p1 (port 2) is net_null0,no-rx=1; the bridge br0 is netdev, fail_mode=secure, with
# the rules each benchmark gives. OVS's only PMD thread runs on $BENCH_FWD_CORE
# (pmd-cpu-mask); ovs-vswitchd's other threads and ovsdb-server on $BENCH_MAIN_CORE. EAL
# memory: $BENCH_MEM_MB MB without huge pages. Every file (database, sockets, logs) is in
# the run's directory; the system's OVS service and alternatives are never touched.

: "${BENCH_OVS_VSWITCHD:=${CTU_OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}}"
BENCH_OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

# ---------------------------------------------------------------- prerequisites
# The DPDK build of ovs-vswitchd (Debian's openvswitch-switch-dpdk installs it beside the
# plain one and points the ovs-vswitchd alternative at neither by default: it is called
# by its path here, the system's alternative and service are left alone).
ovs_need() {
    local t
    if [[ ! -x $BENCH_OVS_VSWITCHD ]] || ! command -v ovsdb-server >/dev/null 2>&1; then
        bench_log "OVS with DPDK missing: apt-get install -y openvswitch-switch-dpdk"
        timeout 600 apt-get install -y openvswitch-switch-dpdk >"$BENCH_DIR/apt-ovs.log" 2>&1 \
            || bench_die "apt-get install openvswitch-switch-dpdk failed (see $BENCH_DIR/apt-ovs.log)"
    fi
    [[ -x $BENCH_OVS_VSWITCHD ]] || bench_die "no $BENCH_OVS_VSWITCHD"
    for t in ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl ovs-ofctl taskset; do
        command -v "$t" >/dev/null 2>&1 || bench_die "$t not found (openvswitch-switch-dpdk)"
    done
    [[ -f $BENCH_OVS_SCHEMA ]] || bench_die "no $BENCH_OVS_SCHEMA"
    "$BENCH_OVS_VSWITCHD" --version 2>&1 | grep -q DPDK || bench_die "$BENCH_OVS_VSWITCHD is not built with DPDK"
    "$BENCH_OVS_VSWITCHD" --version >>"$BENCH_DIR/env.txt" 2>&1
}

# ---------------------------------------------------------------- OVS
# One private OVS per run: ovsdb-server and ovs-vswitchd with every file in BENCH_OVS_DIR.
BENCH_OVS_DIR=
BENCH_OVS_DB_PID=
BENCH_OVS_VS_PID=

# ovs_run CMD ARGS...: an OVS utility against the private instance (OVS_RUNDIR finds
# br0.mgmt for ovs-ofctl), bounded in time.
ovs_run() {
    OVS_RUNDIR=$BENCH_OVS_DIR OVS_LOGDIR=$BENCH_OVS_DIR OVS_DBDIR=$BENCH_OVS_DIR OVS_SYSCONFDIR=$BENCH_OVS_DIR \
        timeout -k 2 30 "$@"
}
ovs_vsctl() { ovs_run ovs-vsctl "--db=unix:$BENCH_OVS_DIR/db.sock" --timeout=25 "$@"; }
ovs_appctl() { ovs_run ovs-appctl -t "$BENCH_OVS_DIR/vswitchd.ctl" "$@"; }

# ovs_start DIR PREFIX PORT0_DEVARGS LOG FLOW...: ovsdb-server, ovs-vswitchd with DPDK on
# the two vdevs (p0 = OpenFlow port 1 on PORT0_DEVARGS, p1 = port 2 on net_null0), bridge
# br0 with the OpenFlow rules FLOW... installed before its ports exist (so the first
# packet already meets them; fail_mode=secure: no NORMAL flooding meanwhile). Traffic
# starts when p0 is added. BENCH_OVS_OTHER_CONFIG (array of KEY=VALUE) adds
# Open_vSwitch other_config settings.
#
# BENCH_OVS_MORE_IN (array of vdev devargs, e.g. net_pcap1,rx_pcap=F,infinite_rx=1) adds
# input ports p2, p3, ... (OpenFlow ports 3, 4, ...) that FLOW... must match too. Each is
# given its own MTU (2524, 3548, ...; unused: the frames are 64 bytes) because OVS keeps
# one shared mempool per mbuf size (the frame length rounded up to 1 kB) and sizes it
# at 256k mbufs, fewer than infinite_rx holds for a pcap of a million frames: one pcap
# per port, each port its own pool. NOTE: the larger MTUs make larger mbufs (up to
# 2 kB more per port): more memory, and the packet data of those ports further apart.
BENCH_OVS_OTHER_CONFIG=()
BENCH_OVS_MORE_IN=()
ovs_start() {
    local dir=$1 prefix=$2 port0=$3 log=$4 i d flow oc=(); shift 4
    ((${#BENCH_OVS_OTHER_CONFIG[@]})) && oc=("${BENCH_OVS_OTHER_CONFIG[@]/#/other_config:}")
    BENCH_OVS_DIR=$dir
    mkdir -p "$dir" || bench_die "cannot create $dir"
    # unix socket paths are limited to 107 bytes
    ((${#dir} + 16 < 108)) || bench_die "OVS run directory path too long for its sockets: $dir"
    ovs_run ovsdb-tool create "$dir/conf.db" "$BENCH_OVS_SCHEMA" >>"$log" 2>&1 || bench_die "ovsdb-tool create failed"
    OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir \
        timeout -k 5 600 taskset -c "$BENCH_MAIN_CORE" ovsdb-server "$dir/conf.db" \
        "--remote=punix:$dir/db.sock" "--unixctl=$dir/ovsdb-server.ctl" "--pidfile=$dir/ovsdb-server.pid" \
        "--log-file=$dir/ovsdb-server.log" --no-chdir >>"$dir/ovsdb-server.out" 2>&1 &
    BENCH_OVS_DB_PID=$!; BENCH_PIDS+=("$BENCH_OVS_DB_PID")
    for ((i = 0; i < 100; i++)); do [[ -S $dir/db.sock ]] && break; sleep 0.1; done
    [[ -S $dir/db.sock ]] || bench_die "ovsdb-server did not start (see $dir/ovsdb-server.log)"

    # dpdk-extra: OVS 3.1 adds --in-memory unless --legacy-mem is given, and DPDK rejects
    # --in-memory with --no-huge. OVS adds `-l <first CPU of its affinity>` itself:
    # ovs-vswitchd runs under taskset on the main core, so that is the main core.
    local extra="--no-huge -m $BENCH_MEM_MB --no-pci --file-prefix=$prefix --legacy-mem"
    extra+=" --vdev=$port0 --vdev=net_null0,no-rx=1"
    for d in "${BENCH_OVS_MORE_IN[@]}"; do extra+=" --vdev=$d"; done
    BENCH_PREFIXES+=("$prefix")
    ovs_vsctl --no-wait init >>"$log" 2>&1 || bench_die "ovs-vsctl init failed"
    ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        "other_config:pmd-cpu-mask=$(printf '0x%x' $((1 << BENCH_FWD_CORE)))" \
        "other_config:dpdk-extra=$extra" "${oc[@]}" >>"$log" 2>&1 || bench_die "ovs-vsctl set other_config failed"
    echo "# dpdk-extra: $extra" >>"$log"

    # OVS_RUNDIR also places the bridge's OpenFlow socket (br0.mgmt) in $dir, not in /var/run/openvswitch.
    OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir \
        timeout -k 5 600 taskset -c "$BENCH_MAIN_CORE" "$BENCH_OVS_VSWITCHD" "unix:$dir/db.sock" \
        "--unixctl=$dir/vswitchd.ctl" "--pidfile=$dir/vswitchd.pid" "--log-file=$dir/vswitchd.log" \
        --no-chdir >>"$dir/vswitchd.out" 2>&1 &
    BENCH_OVS_VS_PID=$!; BENCH_PIDS+=("$BENCH_OVS_VS_PID")
    for ((i = 0; i < 300; i++)); do
        [[ -S $dir/vswitchd.ctl ]] && break
        kill -0 "$BENCH_OVS_VS_PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -S $dir/vswitchd.ctl ]] || { tail -20 "$dir/vswitchd.log" >&2; bench_die "ovs-vswitchd did not start (see $dir/vswitchd.log)"; }

    ovs_vsctl add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=secure >>"$log" 2>&1 \
        || bench_die "ovs-vsctl add-br failed (see $dir/vswitchd.log)"
    ovs_run ovs-ofctl del-flows br0 >>"$log" 2>&1 || bench_die "ovs-ofctl del-flows failed"
    for flow in "$@"; do
        ovs_run ovs-ofctl add-flow br0 "$flow" >>"$log" 2>&1 || bench_die "ovs-ofctl add-flow $flow failed"
    done
    ovs_vsctl add-port br0 p1 -- set Interface p1 type=dpdk options:dpdk-devargs=net_null0 ofport_request=2 \
        >>"$log" 2>&1 || bench_die "adding the dpdk port p1 (net_null0) failed (see $dir/vswitchd.log)"
    ovs_vsctl add-port br0 p0 -- set Interface p0 type=dpdk options:dpdk-devargs=net_pcap0 ofport_request=1 \
        >>"$log" 2>&1 || bench_die "adding the dpdk port p0 (net_pcap0) failed (see $dir/vswitchd.log)"
    local of0 of1
    of0=$(ovs_vsctl get Interface p0 ofport) of1=$(ovs_vsctl get Interface p1 ofport)
    [[ $of0 == 1 && $of1 == 2 ]] || bench_die "OVS gave the ports OpenFlow numbers $of0 and $of1, not 1 and 2"
    for ((i = 0; i < ${#BENCH_OVS_MORE_IN[@]}; i++)); do
        d=${BENCH_OVS_MORE_IN[i]%%,*}
        ovs_vsctl add-port br0 "p$((i + 2))" -- set Interface "p$((i + 2))" type=dpdk "options:dpdk-devargs=$d" \
            "ofport_request=$((i + 3))" "mtu_request=$((1500 + 1024 * (i + 1)))" >>"$log" 2>&1 \
            || bench_die "adding the dpdk port p$((i + 2)) ($d) failed (see $dir/vswitchd.log)"
        of0=$(ovs_vsctl get Interface "p$((i + 2))" ofport)
        [[ $of0 == $((i + 3)) ]] || bench_die "OVS gave p$((i + 2)) the OpenFlow number $of0, not $((i + 3)) (see $dir/vswitchd.log)"
    done
    { echo "# OpenFlow rules:"; ovs_run ovs-ofctl dump-flows br0; echo "# ct-get-maxconns: $(ovs_appctl dpctl/ct-get-maxconns)"; } >>"$log" 2>&1
}

# ovs_stop LOG: ovs-vswitchd exits through its control socket (closing its DPDK
# ports), then ovsdb-server; TERM if either does not within 20 s.
ovs_stop() {
    local log=$1
    {
        echo "# datapath at exit:"; ovs_appctl dpctl/show -s; ovs_appctl dpif-netdev/pmd-stats-show
        ovs_appctl exit
    } >>"$log" 2>&1
    ovs_reap "$BENCH_OVS_VS_PID"
    ovs_run ovs-appctl -t "$BENCH_OVS_DIR/ovsdb-server.ctl" exit >>"$log" 2>&1
    ovs_reap "$BENCH_OVS_DB_PID"
    BENCH_OVS_VS_PID='' BENCH_OVS_DB_PID=''
}

# ovs_reap PID: wait up to 20 s for PID (a timeout(1) wrapper) to exit, then TERM it.
ovs_reap() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { bench_log "warning: OVS process $pid did not exit: TERM"; kill -TERM "$pid"; }
    wait "$pid" 2>/dev/null; bench_untrack "$pid"
}

# ovs_counters: "TIME IN_RX IN_TX P1_TX" from `dpctl/show -s` (dpif-netdev reads the
# DPDK devices' counters at that moment, unlike the Interface table's statistics column,
# which ovs-vswitchd refreshes every 5 s). TIME (s, CLOCK_REALTIME) is the midpoint of
# the call, which takes a few ms. IN is p0 and the BENCH_OVS_MORE_IN ports, added up.
ovs_counters() {
    local t0 t1 out
    t0=$EPOCHREALTIME
    out=$(ovs_appctl dpctl/show -s) || return 1
    t1=$EPOCHREALTIME
    awk -v t0="$t0" -v t1="$t1" '
        $1 == "port" { name = $3; next }
        $1 == "RX" && $2 ~ /^packets:/ { split($2, a, ":"); rx[name] = a[2] }
        $1 == "TX" && $2 ~ /^packets:/ { split($2, a, ":"); tx[name] = a[2] }
        END { if (!("p0" in rx) || !("p1" in tx)) exit 1
              for (p in rx) if (p ~ /^p[0-9]+$/ && p != "p1") { inrx += rx[p]; intx += tx[p] }
              printf "%.6f %d %d %d\n", (t0 + t1) / 2, inrx, intx, tx["p1"] }' <<<"$out"
}

# ovs_conns: connections in OVS's userspace conntrack (ct-stats-show's total).
ovs_conns() {
    ovs_appctl dpctl/ct-stats-show | awk '/Total:/ { for (i = 1; i <= NF; i++) if ($i == "Total:") print $(i+1); f = 1; exit }
        END { exit !f }'
}
