# shellcheck shell=bash
# l3-latency: flowgate's transit time while routing at half of its own maximum rate.
#
# The issue's latency figure: per packet, the time from the receive burst that brought it
# (one clock read per burst) to the transmit burst that sent it, inside flowgate, recorded
# in an HdrHistogram by every worker (`flowgate run --latency`, RouterWorker/TransitLatency).
# Same devices, traffic, routes and core as l3-route (this file reuses its helpers):
#   1. flowgate routes unpaced for the warm-up and the window: its maximum rate M.
#   2. flowgate routes again taking at most M/2 packets per second from net_pcap
#      (`--rx-rate`, a token bucket in the worker: net_pcap's infinite_rx never runs dry,
#      so the offered load is set where packets enter), with --latency; the window's
#      histogram is written to latency.hgrm (microseconds, HdrHistogram's text format).
# Last line (not a ratio: no reference tool reports its internal transit time):
#   l3-latency p50_ns=.. p90_ns=.. p99_ns=.. p99_9_ns=.. max_ns=.. rate_pps=.. max_pps=.. unit=ns
# The run fails if the paced run reaches less than 90% of M/2 (an overloaded machine: the
# percentiles would describe a different load).
# shellcheck source=perf/benches/l3-route.sh
source "$BENCHES_DIR/l3-route.sh"

bench_main() {
    bench_need_flowgate
    local pcap=$BENCH_DIR/udp-${L3R_FLOWS}flows-${L3R_SIZE}B.pcap
    bench_log "generating $L3R_FLOWS-flow ${L3R_SIZE}-byte UDP pcap"
    (cd "$BENCH_ROOT" && timeout -k 5 300 "$FLOWGATE" gen-pcap --out "$pcap" \
        --flows "$L3R_FLOWS" --size "$L3R_SIZE") >"$BENCH_DIR/gen-pcap.log" 2>&1 \
        || bench_die "flowgate gen-pcap failed (see $BENCH_DIR/gen-pcap.log)"
    local max half line achieved

    bench_eal_args "$(bench_prefix max)" "$BENCH_MAIN_CORE"
    l3r_write_flowgate_config "$BENCH_DIR/flowgate-max.yaml" "$pcap" "${BENCH_EAL[@]}"
    bench_log "flowgate unpaced (${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window): maximum rate"
    l3r_flowgate_rate "$BENCH_DIR/flowgate-max.log" "$BENCH_DIR/flowgate-max.yaml"
    l3r_audit_flowgate "$BENCH_DIR/flowgate-max.log"
    max=$BENCH_RATE
    half=$((max / 2))
    echo "l3-latency max_pps=$max"

    bench_eal_args "$(bench_prefix half)" "$BENCH_MAIN_CORE"
    l3r_write_flowgate_config "$BENCH_DIR/flowgate-half.yaml" "$pcap" "${BENCH_EAL[@]}"
    bench_log "flowgate at $half pps (half) with --latency"
    l3r_flowgate_rate "$BENCH_DIR/flowgate-half.log" "$BENCH_DIR/flowgate-half.yaml" \
        --rx-rate "$half" --latency --latency-histogram "$BENCH_DIR/latency.hgrm"
    l3r_audit_flowgate "$BENCH_DIR/flowgate-half.log"
    achieved=$BENCH_RATE
    awk -v a="$achieved" -v h="$half" 'BEGIN { exit !(a >= 0.9 * h) }' \
        || bench_die "the paced run reached $achieved of $half pps: machine too busy for a latency figure"
    line=$(grep -E '^route latency ' "$BENCH_DIR/flowgate-half.log" | tail -1) \
        || bench_die "no 'route latency' line in $BENCH_DIR/flowgate-half.log"
    field() { tr ' ' '\n' <<<"$line" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
    echo "l3-latency p50_ns=$(field p50_ns) p90_ns=$(field p90_ns) p99_ns=$(field p99_ns)" \
        "p99_9_ns=$(field p99_9_ns) max_ns=$(field max_ns) rate_pps=$achieved max_pps=$max unit=ns" \
        | tee "$BENCH_DIR/result.txt"
}
