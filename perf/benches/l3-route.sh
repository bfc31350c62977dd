# shellcheck shell=bash
# l3-route: flowgate's IPv4 routing (LPM) against DPDK's l3fwd example in LPM mode.
#
# Same core, same devices, same traffic, same routes for both tools:
#   port 0: net_pcap0,rx_pcap=<pcap>,infinite_rx=1   (as io-forward: replays the pcap)
#   port 1: net_null0,no-rx=1                        (as io-forward: frees what it is sent)
#   Traffic: `flowgate gen-pcap --flows 4096 --size 64`: 64-byte Ethernet/IPv4/UDP,
#     198.18.0.1+i:1024+i -> 198.19.0.1:9, TTL 64, valid IPv4 checksums.
#   Routes (L3R_ROUTES): 198.18.0.0/16 -> port 0, 198.19.0.0/16 -> port 1, so every
#     packet is routed by a prefix lookup to port 1. A lookup miss in l3fwd sends
#     the packet back out of its input port (0): the run fails if port 0 transmits
#     anything or if port 1 transmits less than 99% of what port 0 received.
#     All flows share one destination address, so every lookup hits the same LPM
#     entry; varying destinations would need a gen-pcap option (e.g. --dst-ip range).
#   Core: the single forwarding core $BENCH_FWD_CORE for both. l3fwd runs with
#     `-l $BENCH_FWD_CORE` alone (see L3R_L3FWD_ARGS); flowgate, like `fwd`, with
#     -l MAIN,FWD and its worker pinned to FWD.
#   Rate: packets transmitted on port 1 per second over BENCH_WINDOW s after
#     BENCH_WARMUP s. l3fwd prints no rates: its port-1 opackets counter is read
#     through the DPDK telemetry socket (bench_dpdk_app_rate, perf/lib/dpdk-port-rate.py);
#     flowgate: tx_pps of its final summary line.
#   Schedule: l3fwd, flowgate, l3fwd, ... BENCH_ROUNDS times; medians.
#
# BENCH_REFERENCE_ONLY=1 runs only the l3fwd rounds and prints their median (not a
# contract line).

L3R_FLOWS=4096
L3R_SIZE=64
# PREFIX/LEN PORT — the one routing table both tools are given.
L3R_ROUTES=(
    "198.18.0.0/16 0"
    "198.19.0.0/16 1"
)
# Next hop (destination MAC written into forwarded frames) per port, as l3fwd's
# --eth-dest: port 1's is the generated frames' own destination MAC.
L3R_NEIGHBOURS=(
    "0 02:00:00:00:00:01"
    "1 02:00:00:00:00:02"
)
: "${BENCH_REFERENCE_ONLY:=0}"

l3r_vdevs() {
    printf '%s\n' "--vdev=net_pcap0,rx_pcap=$1,infinite_rx=1" "--vdev=net_null0,no-rx=1"
}

# flowgate is given the same routing as its configuration file (docs/configuration.md):
# each port's address makes the connected route l3fwd gets as a rule (198.18.0.0/16 ->
# port 0, 198.19.0.0/16 -> port 1), and the traffic's one destination, 198.19.0.1, is a
# permanent neighbour at the MAC l3fwd is given with --eth-dest (net_null answers no ARP).
# l3r_write_flowgate_config FILE PCAP EAL_ARGS...
l3r_write_flowgate_config() {
    local file=$1 pcap=$2 a; shift 2
    {
        echo "# l3-route: flowgate's side, the same routes and next hop as l3fwd's"
        printf 'eal: ['
        local first=1
        for a in "$@"; do ((first)) || printf ', '; printf '"%s"' "$a"; first=0; done
        echo ']'
        echo "workers: [$BENCH_FWD_CORE]"
        echo "ports:"
        echo "  - name: p0"
        echo "    device: net_pcap0,rx_pcap=$pcap,infinite_rx=1"
        echo "    addresses: [198.18.255.254/16]"
        echo "  - name: p1"
        echo "    device: net_null0,no-rx=1"
        echo "    addresses: [198.19.255.254/16]"
        echo "neighbours:"
        echo "  - {port: p1, address: 198.19.0.1, mac: \"${L3R_NEIGHBOURS[1]#* }\"}"
    } >"$file"
}

# l3r_flowgate_rate LOG CONFIG [RUN_OPTIONS...]: `flowgate run --config` for the warm-up and
# the window; BENCH_RATE = tx_pps of its "route summary" line (packets routed out per second
# over the window, the same quantity as l3fwd's port 1 transmit rate).
l3r_flowgate_rate() {
    local log=$1 config=$2 pid rc
    local cmd=("$FLOWGATE" run --config "$config" --warmup "$BENCH_WARMUP" --duration "$BENCH_WINDOW" --stats-interval 1 "${@:3}")
    echo "# ${cmd[*]}" >"$log"
    (cd "$BENCH_ROOT" && exec timeout -k 5 $((BENCH_WARMUP + BENCH_WINDOW + 60)) "${cmd[@]}") >>"$log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait "$pid"; rc=$?; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log" >&2; bench_die "flowgate run exited with $rc (see $log)"; }
    BENCH_RATE=$(grep -E "^route summary " "$log" | tail -1 | tr ' ' '\n' \
        | awk -F= '$1 == "tx_pps" { printf "%.0f\n", $2; f = 1 } END { exit !f }') \
        || bench_die "no 'route summary ... tx_pps=' line in $log"
}

# l3fwd's --rule_ipv4 file: "R<prefix>/<len> <port>" per route. l3fwd reads rule
# files only when both --rule_ipv4 and --rule_ipv6 are given, and each must hold at
# least one route: the IPv6 file has one documentation-prefix route that the IPv4
# traffic never meets.
l3r_write_l3fwd_rules() {
    printf 'R%s\n' "${L3R_ROUTES[@]}" >"$1"
    echo "R2001:db8::/32 1" >"$2"
}

# flowgate's routing audit, the same as l3fwd's: from the per-port totals that
# `flowgate run` prints at exit ("port N NAME: rx N tx N ..."), port 0 must transmit
# nothing but the router's start-up announcements and port 1 at least 99% of what
# port 0 received. If `flowgate run` does not print those lines the audit is skipped with
# a warning (the rate still counts).
l3r_audit_flowgate() {
    local log=$1 v announced
    # The router announces its addresses at start (a gratuitous ARP per port): those may leave by port 0.
    announced=$(grep -E "^route summary " "$log" | tail -1 | tr ' ' '\n' | awk -F= '$1 == "announcements" { print $2 }')
    v=$(awk -v announced="${announced:-0}" '$1 == "port" && ($2 == "0" || $2 == "1") && $4 == "rx" && $6 == "tx" {
            rx[$2] = $5; tx[$2] = $7; n++ }
        END { if (n < 2) { print "none"; exit }
              if (tx[0] > announced) { print "port 0 transmitted " tx[0] " packets (" announced " announcements)"; exit }
              if (tx[1] < 0.99 * rx[0]) { print "port 1 transmitted " tx[1] " of " rx[0] " received"; exit }
              print "ok" }' "$log")
    case $v in
        ok) ;;
        none) bench_log "warning: no per-port totals in $log: flowgate's routing not audited" ;;
        *) bench_die "flowgate did not route all traffic to port 1: $v (see $log)" ;;
    esac
}

bench_main() {
    bench_need_flowgate      # builds the project; gen-pcap writes the traffic
    bench_need_l3fwd

    local pcap=$BENCH_DIR/udp-${L3R_FLOWS}flows-${L3R_SIZE}B.pcap
    bench_log "generating $L3R_FLOWS-flow ${L3R_SIZE}-byte UDP pcap"
    (cd "$BENCH_ROOT" && timeout -k 5 300 "$FLOWGATE" gen-pcap --out "$pcap" \
        --flows "$L3R_FLOWS" --size "$L3R_SIZE") >"$BENCH_DIR/gen-pcap.log" 2>&1 \
        || bench_die "flowgate gen-pcap failed (see $BENCH_DIR/gen-pcap.log)"
    [[ -s $pcap ]] || bench_die "gen-pcap wrote no $pcap"

    local rules4=$BENCH_DIR/l3fwd-rules-v4.cfg rules6=$BENCH_DIR/l3fwd-rules-v6.cfg
    l3r_write_l3fwd_rules "$rules4" "$rules6"

    # l3fwd (22.11) options:
    #   -l FWD alone: l3fwd creates one tx queue per port for every EAL lcore, and
    #     net_pcap without a tx_pcap offers a single tx queue (with -l 0,1:
    #     "Cannot configure device: err=-22"). Its main lcore then is the
    #     forwarding lcore; EAL control threads (telemetry) stay on the other core.
    #   --config (port,queue,lcore): one rx queue of each port on that lcore; like
    #     testpmd io and flowgate fwd it polls both ports (port 1's rx is empty).
    #   -p 0x3 both ports; -P promiscuous (harmless on these devices);
    #   --lookup=lpm (same as the legacy -L); poll mode is the default (--mode).
    #   --parse-ptype: l3fwd classifies IPv4 by mbuf packet_type, which net_pcap
    #     does not set; without it l3fwd exits ("ptype check fails").
    #   --eth-dest=PORT,MAC: the next hop written into forwarded frames.
    local nb l3fwd_args=(-p 0x3 -P --lookup=lpm
        "--config=(0,0,$BENCH_FWD_CORE),(1,0,$BENCH_FWD_CORE)" --parse-ptype
        "--rule_ipv4=$rules4" "--rule_ipv6=$rules6")
    for nb in "${L3R_NEIGHBOURS[@]}"; do l3fwd_args+=("--eth-dest=${nb% *},${nb#* }"); done

    local vdevs=() ref=() fg=() r mpps prefix log rx0 tx0
    mapfile -t vdevs < <(l3r_vdevs "$pcap")
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        prefix=$(bench_prefix "l3fwd-$r")
        bench_eal_args "$prefix" "$BENCH_FWD_CORE"
        log=$BENCH_DIR/l3fwd-lpm-$r.log
        bench_log "round $r/$BENCH_ROUNDS: l3fwd lpm (${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window)"
        bench_dpdk_app_rate "$log" "$BENCH_WARMUP" "$BENCH_WINDOW" "$prefix" 1,0 \
            "$BENCH_L3FWD" "${BENCH_EAL[@]}" "${vdevs[@]}" -- "${l3fwd_args[@]}"
        # every packet received on port 0 must leave by port 1
        tx0=$(bench_dpdk_audit "$log" 0 opackets_delta) || bench_die "no port 0 audit in $log"
        rx0=$(bench_dpdk_audit "$log" 0 ipackets_delta) || bench_die "no port 0 audit in $log"
        ((tx0 == 0)) || bench_die "l3fwd sent $tx0 packets back out of port 0 (route miss?), see $log"
        awk -v tx="$BENCH_RATE" -v rx="$(bench_dpdk_audit "$log" 0 rx_pps)" \
            'BEGIN { exit !(rx > 0 && tx >= 0.99 * rx) }' \
            || bench_die "l3fwd transmitted on port 1 less than 99% of what port 0 received (rx0=$rx0 over the window), see $log"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref+=("$mpps")
        echo "l3-route round=$r tool=l3fwd-lpm mpps=$mpps"

        [[ $BENCH_REFERENCE_ONLY == 1 ]] && continue
        bench_eal_args "$(bench_prefix "flowgate-$r")" "$BENCH_MAIN_CORE"
        bench_log "round $r/$BENCH_ROUNDS: flowgate run --config (${BENCH_WARMUP}s warm-up + ${BENCH_WINDOW}s window)"
        l3r_write_flowgate_config "$BENCH_DIR/flowgate-$r.yaml" "$pcap" "${BENCH_EAL[@]}"
        l3r_flowgate_rate "$BENCH_DIR/flowgate-route-$r.log" "$BENCH_DIR/flowgate-$r.yaml"
        l3r_audit_flowgate "$BENCH_DIR/flowgate-route-$r.log"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); fg+=("$mpps")
        echo "l3-route round=$r tool=flowgate mpps=$mpps"
    done

    local x y
    y=$(bench_median "${ref[@]}")
    echo "l3-route l3fwd-lpm runs: ${ref[*]} (Mpps)"
    if [[ $BENCH_REFERENCE_ONLY == 1 ]]; then
        echo "l3-route reference-only l3fwd-lpm median=$y unit=Mpps (no flowgate runs, not a result line)" \
            | tee "$BENCH_DIR/reference-only.txt"
        return 0
    fi
    x=$(bench_median "${fg[@]}")
    echo "l3-route flowgate runs:  ${fg[*]} (Mpps)"
    bench_result l3-route "$(bench_ratio "$x" "$y")" "$x" "$y" Mpps l3fwd-lpm \
        | tee "$BENCH_DIR/result.txt"
}
