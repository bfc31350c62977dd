# shellcheck shell=bash
# io-forward: flowgate `fwd` (paired port forwarding, no processing) against
# `dpdk-testpmd --forward-mode=io`, the I/O ceiling of these devices.
#
# Same core, same devices, same traffic for both tools:
#   port 0: net_pcap0,rx_pcap=<pcap>,infinite_rx=1
#       Replays the pcap forever from an in-memory ring (copying each packet into
#       a fresh mbuf: this copy is the ceiling). No tx_pcap/tx_iface given, so the
#       PMD uses its built-in tx_drop queue ("Dropping packets on tx since no tx
#       queues were provided"): a tx side that costs nothing and here receives
#       nothing anyway. tx_pcap=/dev/null measured the same, but would write with
#       libpcap if anything were sent to port 0.
#   port 1: net_null0,no-rx=1
#       22.11's net_null supports no-rx=1 (PMD params "size copy no-rx"): its rx
#       burst returns 0, so the only stream is pcap rx -> null tx. Without no-rx
#       net_null generates 64-byte packets as fast as polled and testpmd forwards
#       both directions (measured 27.8 Mpps per direction, i.e. a different test).
#   Traffic: 4096 flows of 64-byte Ethernet/IPv4/UDP frames from `flowgate gen-pcap`.
#   Cores: EAL -l 0,1; testpmd --nb-cores=1 puts its only forwarding lcore on core 1
#   (core 0 is the main lcore running the command line); flowgate --cores 1 pins
#   its single worker to core 1.
#   Rate: packets accepted by the transmitting ports per second over a window of
#   BENCH_WINDOW s (>= 6 s: testpmd's rate counters need it) after BENCH_WARMUP s.
#   testpmd: sum of Tx-pps of the second `show port stats all` (see
#   bench_testpmd_rate); flowgate: tx_pps of its `fwd summary` line.
#   Runs alternate testpmd, flowgate, testpmd, ... BENCH_ROUNDS times; medians.

IOF_FLOWS=4096
IOF_SIZE=64
# --total-num-mbufs: infinite_rx keeps one mbuf per pcap packet (4096) in its ring
# and needs at least that many per queue at setup, plus rx bursts in flight.
IOF_TESTPMD_ARGS=(--forward-mode=io --nb-cores=1 --burst=32 --rxd=1024 --txd=1024
                  --total-num-mbufs=16384 --no-flush-rx)

iof_vdevs() {
    printf '%s\n' "--vdev=net_pcap0,rx_pcap=$1,infinite_rx=1" "--vdev=net_null0,no-rx=1"
}

bench_main() {
    bench_need_testpmd
    bench_need_flowgate

    local pcap=$BENCH_DIR/udp-${IOF_FLOWS}flows-${IOF_SIZE}B.pcap
    bench_log "generating $IOF_FLOWS-flow ${IOF_SIZE}-byte UDP pcap"
    (cd "$BENCH_ROOT" && timeout -k 5 300 "$FLOWGATE" gen-pcap --out "$pcap" \
        --flows "$IOF_FLOWS" --size "$IOF_SIZE") >"$BENCH_DIR/gen-pcap.log" 2>&1 \
        || bench_die "flowgate gen-pcap failed (see $BENCH_DIR/gen-pcap.log)"
    [[ -s $pcap ]] || bench_die "gen-pcap wrote no $pcap"

    local vdevs=() ref=() fg=() r mpps
    mapfile -t vdevs < <(iof_vdevs "$pcap")
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        bench_eal_args "$(bench_prefix "testpmd-$r")"
        bench_log "round $r/$BENCH_ROUNDS: testpmd io (${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window)"
        bench_testpmd_rate "$BENCH_DIR/testpmd-io-$r.log" "$BENCH_WARMUP" "$BENCH_WINDOW" \
            "${BENCH_EAL[@]}" "${vdevs[@]}" -- "${IOF_TESTPMD_ARGS[@]}"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref+=("$mpps")
        echo "io-forward round=$r tool=testpmd-io mpps=$mpps"

        bench_eal_args "$(bench_prefix "flowgate-$r")"
        bench_log "round $r/$BENCH_ROUNDS: flowgate fwd (${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window)"
        bench_flowgate_fwd_rate "$BENCH_DIR/flowgate-fwd-$r.log" "$BENCH_WARMUP" "$BENCH_WINDOW" \
            "${BENCH_EAL[@]}" "${vdevs[@]}"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); fg+=("$mpps")
        echo "io-forward round=$r tool=flowgate mpps=$mpps"
    done

    local x y
    x=$(bench_median "${fg[@]}")
    y=$(bench_median "${ref[@]}")
    echo "io-forward testpmd-io runs: ${ref[*]} (Mpps)"
    echo "io-forward flowgate runs:   ${fg[*]} (Mpps)"
    bench_result io-forward "$(bench_ratio "$x" "$y")" "$x" "$y" Mpps testpmd-io \
        | tee "$BENCH_DIR/result.txt"
}
