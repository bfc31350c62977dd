# shellcheck shell=bash
# afxdp-io: pmd's IoForwarder over flowgate's XskPort against the same forwarder over DPDK 22.11's
# net_af_xdp PMD (DpdkPort), on the same veth pairs, same core, same traffic.
#
# Topology (names xkb*, removed at exit):
#   namespace xkbns: xkbg1 (generator) <-veth-> xkbg0 (forwarder in)    xkbo0 (forwarder out) <-veth-> xkbo1 (sink)
#   Both forwarders run AF_XDP in copy mode (veth has no zero-copy) with the libxdp default program in native
#   mode, rings of 2048 (XskPort) / 1024 descriptors (PortConfig.DEFAULT for net_af_xdp), bursts of 32, one worker
#   on BENCH_FWD_CORE; EAL main lcore BENCH_MAIN_CORE.
#   Traffic: perf/lib/xk-udpgen.c (AF_PACKET, PACKET_QDISC_BYPASS, sendmmsg of 64) in the namespace on
#   BENCH_MAIN_CORE, 64-byte IPv4/UDP frames over 256 flows (trafgen is not installed here).
#   Rate: the sink's rx_packets delta over BENCH_WINDOW s after BENCH_WARMUP s, read from sysfs in the
#   namespace (what left the forwarder and arrived, for both the same neutral counter).
#   Rounds alternate dpdk-net_af_xdp, flowgate, ... BENCH_ROUNDS times; medians.

AXI_NS=xkbns

axi_cleanup_net() {
    ip link del xkbg0 2>/dev/null
    ip link del xkbo0 2>/dev/null
    ip netns del "$AXI_NS" 2>/dev/null
    true
}

axi_setup_net() {
    axi_cleanup_net
    ip netns add "$AXI_NS" || bench_die "ip netns add failed"
    local p
    for p in g o; do
        ip link add "xkb${p}0" type veth peer name "xkb${p}1" netns "$AXI_NS" || bench_die "veth xkb$p failed"
        sysctl -qw "net.ipv6.conf.xkb${p}0.disable_ipv6=1"
        ip netns exec "$AXI_NS" sysctl -qw "net.ipv6.conf.xkb${p}1.disable_ipv6=1"
        ip link set "xkb${p}0" up
        ip netns exec "$AXI_NS" ip link set "xkb${p}1" up
    done
}

axi_sink_rx() { ip netns exec "$AXI_NS" cat /sys/class/net/xkbo1/statistics/rx_packets; }

# axi_run MODE ROUND: sets AXI_RATE (packets/s at the sink).
axi_run() {
    local mode=$1 r=$2 log=$BENCH_DIR/$1-$2.log fifo pid gpid fd i a b
    fifo=$(mktemp -u "${TMPDIR:-/tmp}/fgbench-axi.XXXXXX"); mkfifo "$fifo"; BENCH_TMPFILES+=("$fifo")
    local prefix; prefix=$(bench_prefix "$mode-$r"); BENCH_PREFIXES+=("$prefix")
: >"$log"
    timeout -k 5 $((BENCH_WARMUP + BENCH_WINDOW + 60)) "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$BENCH_PERF_JAR" \
        io.flowgate.perf.xdp.AfXdpIo "$mode" xkbg0 xkbo0 "$BENCH_MAIN_CORE" "$BENCH_FWD_CORE" "$prefix" <"$fifo" >"$log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    exec {fd}<>"$fifo"
    for ((i = 0; i < 300; i++)); do grep -q READY "$log" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    grep -q READY "$log" || { exec {fd}>&-; wait "$pid"; tail -20 "$log" >&2; bench_die "$mode forwarder did not start (see $log)"; }
    timeout -k 5 $((BENCH_WARMUP + BENCH_WINDOW + 2)) ip netns exec "$AXI_NS" taskset -c "$BENCH_MAIN_CORE" \
        "$BENCH_DIR/xk-udpgen" xkbg1 $((BENCH_WARMUP + BENCH_WINDOW + 1)) >"$BENCH_DIR/gen-$mode-$r.log" 2>&1 &
    gpid=$!; BENCH_PIDS+=("$gpid")
    bench_sleep "$BENCH_WARMUP"
    a=$(axi_sink_rx); local t0; t0=$(date +%s.%N)
    bench_sleep "$BENCH_WINDOW"
    b=$(axi_sink_rx); local t1; t1=$(date +%s.%N)
    wait "$gpid"; bench_untrack "$gpid"
    exec {fd}>&-
    wait "$pid"; bench_untrack "$pid"
    AXI_RATE=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f\n", (b - a) / (t1 - t0) }')
}

bench_main() {
    bench_need_perf_jar
    cc -O2 -Wall -o "$BENCH_DIR/xk-udpgen" perf/lib/xk-udpgen.c || bench_die "cannot build perf/lib/xk-udpgen.c"
    trap 'axi_cleanup_net; bench_cleanup' EXIT
    axi_setup_net
    local ref=() fg=() r mpps
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        bench_log "round $r/$BENCH_ROUNDS: dpdk net_af_xdp"
        axi_run dpdk "$r"; mpps=$(bench_pps_to_mpps "$AXI_RATE"); ref+=("$mpps")
        echo "afxdp-io round=$r tool=dpdk-net_af_xdp mpps=$mpps"
        bench_log "round $r/$BENCH_ROUNDS: flowgate XskPort"
        axi_run xsk "$r"; mpps=$(bench_pps_to_mpps "$AXI_RATE"); fg+=("$mpps")
        echo "afxdp-io round=$r tool=flowgate-xsk mpps=$mpps"
    done
    local x y
    x=$(bench_median "${fg[@]}"); y=$(bench_median "${ref[@]}")
    bench_result afxdp-io "$(bench_ratio "$x" "$y")" "$x" "$y" Mpps dpdk-net_af_xdp
}
