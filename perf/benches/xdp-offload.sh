# shellcheck shell=bash
# xdp-offload: forwarded packets/s of established UDP flows through a router namespace,
# flowgate with its XDP fast path (issue 8) against (b) Linux's own fast path, nftables
# `flowtable` offload, and (a) flowgate with offload off (every packet through Java).
#
# Topology (namespaces xa-<pid>-s, -r, -k; veths, cleaned up on exit):
#   sender xa-s0 10.71.0.2/24  ==  xa-r0 | router | xa-r1  ==  xa-k0 10.72.0.2/24 sink
#   router addresses 10.71.0.1/24 (inside) and 10.72.0.1/24 (outside), source NAT
#   (masquerade) to 10.72.0.1 on the way out, in both tools.
# Traffic: perf/lib/udp-flood.c (built here): 64-byte Ethernet/IPv4/UDP frames from
#   10.71.0.2:7000 to 10.72.0.2:9000..9000+XO_FLOWS-1 through an AF_PACKET socket
#   (PACKET_QDISC_BYPASS, sendmmsg), pinned to core $BENCH_MAIN_CORE (the "other core").
#   Neither pktgen (not built in this kernel) nor xdp-trafficgen (its tracepoints are
#   missing here) is available.
# Established first: before every round a UDP echo in the sink answers one datagram per
#   flow (perf/lib/udp-echo.py), then XO_ASSURE_S seconds of traffic pass before the
#   warm-up, so both conntracks see the flows ASSURED (Linux sets ASSURED on UDP after the
#   reply once the flow is older than 2 s) and flowgate has offloaded them.
# Router side: the router's veths' NAPI (GRO on, or XDP attached) runs in softirq on the CPU
#   that queued the packet, the generator's core $BENCH_MAIN_CORE, for both tools: Linux's
#   forwarding and flowgate's XDP program run there; flowgate's Java worker is on
#   $BENCH_FWD_CORE. XO_THREADED_NAPI=1 instead runs that NAPI in threads pinned to
#   $BENCH_FWD_CORE (for both tools); with flowgate's busy-polling worker on the same core
#   the rounds stalled here (no packet processed for seconds), so it is off by default.
#   (b) Linux: ip_forward, `table inet` with a flowtable on both veths, `flow add @ft` for
#       established TCP/UDP in the forward chain, masquerade in postrouting.
#   flowgate: `flowgate run --config` in the router namespace with two xsk ports
#       (`device: xsk,iface=xa-r0` ...), masquerade, and `offload: {enabled: true}`; (a) the
#       same with `enabled: false`.
# Counting at the sink: rx_packets of xa-k0 (an nft netdev ingress chain drops everything,
#   so the sink's stack does no work and sends no ICMP), over BENCH_WINDOW s after
#   BENCH_WARMUP s.
# Schedule: nft-flowtable, flowgate offload, flowgate no offload; BENCH_ROUNDS times; medians.
# Output: per round `xdp-offload round=R tool=T mpps=X`, then
#   xdp-offload-nooffload ratio=Ra flowgate=Xa reference=Y ...   ((a) against (b))
#   xdp-offload ratio=R flowgate=X reference=Y unit=Mpps reference_name=nft-flowtable
# The reference needs a kernel with CONFIG_NF_FLOW_TABLE (nft flowtables). Without it (these
# machines' kernel) the bench says so and measures against plain nft conntrack + masquerade,
# named nft-conntrack-noflowtable in the result line (not the issue's reference: a flowtable is
# faster than plain conntrack). XO_REQUIRE_FLOWTABLE=1 makes a missing flowtable an error.

: "${XO_FLOWS:=16}"
: "${XO_ASSURE_S:=3}"
: "${XO_REQUIRE_FLOWTABLE:=0}"
: "${XO_THREADED_NAPI:=0}"      # 1: the router's NAPI in threads pinned to BENCH_FWD_CORE (see below)
: "${XO_FLOWGATE:=1}"           # 0: the Linux side only (harness test; no result line)
XO_REFERENCE_NAME=nft-flowtable
XO_NS_S=xa-$$-s XO_NS_R=xa-$$-r XO_NS_K=xa-$$-k
XO_NSS=()

xo_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

xo_need_tools() {
    local t
    for t in ip nft ethtool taskset python3 cc; do
        command -v "$t" >/dev/null 2>&1 || bench_die "$t is needed"
    done
    local src=$BENCH_ROOT/perf/lib/udp-flood.c sum
    sum=$(sha256sum "$src" | cut -c1-12)
    XO_FLOOD=$BENCH_CACHE/udp-flood-$sum
    if [[ ! -x $XO_FLOOD ]]; then
        mkdir -p "$BENCH_CACHE" || bench_die "cannot create $BENCH_CACHE"
        cc -O2 -Wall -o "$XO_FLOOD.tmp" "$src" 2>"$BENCH_DIR/udp-flood-build.log" \
            || bench_die "building udp-flood failed (see $BENCH_DIR/udp-flood-build.log)"
        mv "$XO_FLOOD.tmp" "$XO_FLOOD"
    fi
}

xo_cleanup() {
    local ns
    for ns in "${XO_NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    XO_NSS=()
}

# xo_topology: fresh namespaces and veths (the router's side without addresses: each tool
# configures its own).
xo_topology() {
    xo_cleanup
    local ns
    for ns in "$XO_NS_S" "$XO_NS_R" "$XO_NS_K"; do
        ip netns add "$ns" || bench_die "ip netns add $ns"
        XO_NSS+=("$ns")
        xo_in "$ns" ip link set lo up
    done
    # one queue per veth (flowgate's xsk ports have one socket, on queue 0)
    ip link add xa-s0 netns "$XO_NS_S" numtxqueues 1 numrxqueues 1 type veth peer name xa-r0 netns "$XO_NS_R" \
        numtxqueues 1 numrxqueues 1 || bench_die "veth xa-s0"
    ip link add xa-r1 netns "$XO_NS_R" numtxqueues 1 numrxqueues 1 type veth peer name xa-k0 netns "$XO_NS_K" \
        numtxqueues 1 numrxqueues 1 || bench_die "veth xa-r1"
    xo_in "$XO_NS_S" ip addr add 10.71.0.2/24 dev xa-s0
    xo_in "$XO_NS_K" ip addr add 10.72.0.2/24 dev xa-k0
    xo_in "$XO_NS_S" ip link set xa-s0 up
    xo_in "$XO_NS_K" ip link set xa-k0 up
    xo_in "$XO_NS_R" ip link set xa-r0 up
    xo_in "$XO_NS_R" ip link set xa-r1 up
    xo_in "$XO_NS_S" ip route add default via 10.71.0.1
    xo_in "$XO_NS_K" ip route add default via 10.72.0.1
    XO_MAC_S=$(xo_in "$XO_NS_S" cat /sys/class/net/xa-s0/address)
    XO_MAC_R0=$(xo_in "$XO_NS_R" cat /sys/class/net/xa-r0/address)
    XO_MAC_R1=$(xo_in "$XO_NS_R" cat /sys/class/net/xa-r1/address)
    XO_MAC_K=$(xo_in "$XO_NS_K" cat /sys/class/net/xa-k0/address)
    # the hosts know the router's MACs (no dependence on either tool's ARP)
    xo_in "$XO_NS_S" ip neigh replace 10.71.0.1 lladdr "$XO_MAC_R0" dev xa-s0 nud permanent
    xo_in "$XO_NS_K" ip neigh replace 10.72.0.1 lladdr "$XO_MAC_R1" dev xa-k0 nud permanent
    # NAPI on the router's ingress veth (GRO on gives veth a NAPI context; XDP does too),
    # threaded, its thread pinned to the forwarding core
    xo_in "$XO_NS_R" ethtool -K xa-r0 gro on >/dev/null 2>&1
    xo_in "$XO_NS_R" ethtool -K xa-r1 gro on >/dev/null 2>&1
    xo_in "$XO_NS_K" ethtool -K xa-k0 gro on >/dev/null 2>&1
    # The hosts compute their checksums in software: veth hands on CHECKSUM_PARTIAL packets whose UDP/TCP
    # checksum holds only the pseudo-header sum, which is what an AF_XDP socket (copy mode) receives, and
    # flowgate's conntrack (as Linux's with nf_conntrack_checksum=1 for packets from a wire) refuses them.
    xo_in "$XO_NS_S" ethtool -K xa-s0 tx off >/dev/null 2>&1
    xo_in "$XO_NS_K" ethtool -K xa-k0 tx off >/dev/null 2>&1
}

# xo_pin_napi: pins the router's NAPI threads (napi/xa-r0-N, napi/xa-r1-N) to the
# forwarding core; called after a tool attached its XDP programs (which may recreate them).
xo_pin_napi() {
    [[ $XO_THREADED_NAPI == 1 ]] || return 0
    local dev pid
    for dev in xa-r0 xa-r1; do
        xo_in "$XO_NS_R" sh -c "echo 1 > /sys/class/net/$dev/threaded" 2>/dev/null \
            || bench_log "warning: threaded NAPI unavailable on $dev"
    done
    for pid in $(ps -eo pid=,comm= | awk '$2 ~ /^napi\/xa-r[01]-/ { print $1 }'); do
        taskset -pc "$BENCH_FWD_CORE" "$pid" >/dev/null 2>&1
    done
}

# The sink drops everything at ingress (counted by the interface's rx_packets).
xo_sink_drop() {
    printf 'table netdev xa {\n chain in {\n  type filter hook ingress device "xa-k0" priority 0; policy drop;\n }\n}\n' \
        | xo_in "$XO_NS_K" nft -f - || bench_die "sink drop chain"
}

# xo_establish: one datagram per flow answered by the sink, before the sink drops.
xo_establish() {
    local pid out
    xo_in "$XO_NS_K" timeout 20 python3 "$BENCH_ROOT/perf/lib/udp-echo.py" sink 9000 "$XO_FLOWS" 15 \
        >"$BENCH_DIR/echo-sink.log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    for _ in $(seq 50); do grep -q ready "$BENCH_DIR/echo-sink.log" 2>/dev/null && break; sleep 0.1; done
    out=$(xo_in "$XO_NS_S" timeout 20 python3 "$BENCH_ROOT/perf/lib/udp-echo.py" src 10.72.0.2 7000 9000 "$XO_FLOWS")
    wait "$pid"; bench_untrack "$pid"
    [[ $out == "replied $XO_FLOWS" ]] || bench_die "flows not established through the router: $out (of $XO_FLOWS)"
}

# xo_rate LOG: generator for ASSURE + WARMUP + WINDOW s; XO_RATE = sink packets/s over the window.
xo_rate() {
    local log=$1 pid a b t0 t1 secs=$((XO_ASSURE_S + BENCH_WARMUP + BENCH_WINDOW + 2))
    xo_in "$XO_NS_S" timeout -k 2 $((secs + 10)) taskset -c "$BENCH_MAIN_CORE" "$XO_FLOOD" xa-s0 "$XO_MAC_R0" "$XO_MAC_S" \
        10.71.0.2 10.72.0.2 7000 9000 "$XO_FLOWS" "$secs" >>"$log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    bench_sleep $((XO_ASSURE_S + BENCH_WARMUP))
    a=$(xo_in "$XO_NS_K" cat /sys/class/net/xa-k0/statistics/rx_packets); t0=$(date +%s.%N)
    bench_sleep "$BENCH_WINDOW"
    b=$(xo_in "$XO_NS_K" cat /sys/class/net/xa-k0/statistics/rx_packets); t1=$(date +%s.%N)
    wait "$pid"; bench_untrack "$pid"
    XO_RATE=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f\n", (b - a) / (t1 - t0) }')
    echo "sink rx $a -> $b over $t0 .. $t1: $XO_RATE pps" >>"$log"
}

xo_flowtable_supported() {
    local ns=xa-$$-probe ok=1
    ip netns add "$ns" || return 1
    printf 'table inet p {\n flowtable f {\n  hook ingress priority 0; devices = { lo };\n }\n}\n' \
        | ip netns exec "$ns" nft -f - >/dev/null 2>&1 || ok=0
    ip netns del "$ns"
    ((ok))
}

# (b) Linux with an nft flowtable (or, in a kernel without flowtables, plain conntrack).
xo_linux_round() {
    local log=$1
    xo_topology
    xo_in "$XO_NS_R" ip addr add 10.71.0.1/24 dev xa-r0
    xo_in "$XO_NS_R" ip addr add 10.72.0.1/24 dev xa-r1
    xo_in "$XO_NS_R" sysctl -qw net.ipv4.ip_forward=1
    xo_in "$XO_NS_R" ip neigh replace 10.71.0.2 lladdr "$XO_MAC_S" dev xa-r0 nud permanent
    xo_in "$XO_NS_R" ip neigh replace 10.72.0.2 lladdr "$XO_MAC_K" dev xa-r1 nud permanent
    {
        echo 'table inet xa {'
        if [[ $XO_REFERENCE_NAME == nft-flowtable ]]; then
            echo ' flowtable ft {'
            echo '  hook ingress priority 0; devices = { xa-r0, xa-r1 };'
            echo ' }'
        fi
        echo ' chain forward {'
        echo '  type filter hook forward priority 0; policy accept;'
        [[ $XO_REFERENCE_NAME == nft-flowtable ]] && echo '  ip protocol { tcp, udp } ct state established flow add @ft'
        echo ' }'
        echo ' chain post {'
        echo '  type nat hook postrouting priority 100;'
        echo '  oifname "xa-r1" masquerade'
        echo ' }'
        echo '}'
    } >"$BENCH_DIR/router.nft"
    xo_in "$XO_NS_R" nft -f "$BENCH_DIR/router.nft" 2>>"$log" || bench_die "nft ruleset (see $log)"
    xo_pin_napi
    xo_establish
    xo_sink_drop
    xo_rate "$log"
    xo_in "$XO_NS_R" conntrack -L >>"$log" 2>&1
    xo_in "$XO_NS_R" nft list ruleset >>"$log" 2>&1
}

# flowgate's configuration: two xsk ports in the router namespace, masquerade, offload.
xo_write_flowgate_config() {
    local file=$1 offload=$2
    cat >"$file" <<EOF
# xdp-offload: flowgate's side (offload $offload)
eal: ["-l", "$BENCH_MAIN_CORE,$BENCH_FWD_CORE", "--no-huge", "-m", "$BENCH_MEM_MB", "--no-pci", "--file-prefix=$(bench_prefix "xo-$offload-$$")"]
workers: [$BENCH_FWD_CORE]
ports:
  - name: inside
    device: xsk,iface=xa-r0
    addresses: [10.71.0.1/24]
  - name: outside
    device: xsk,iface=xa-r1
    addresses: [10.72.0.1/24]
neighbours:
  - {port: inside, address: 10.71.0.2, mac: "$XO_MAC_S"}
  - {port: outside, address: 10.72.0.2, mac: "$XO_MAC_K"}
conntrack:
  enabled: true
nat:
  rules:
    - {type: masquerade, out: outside}
offload:
  enabled: $offload
  xdp-mode: native
EOF
}

# flowgate round: `flowgate run` in the router namespace; the routers' MACs are the
# veths' own (flowgate's xsk ports transmit with the interface's address).
xo_flowgate_round() {
    local log=$1 offload=$2 cfg=$BENCH_DIR/flowgate-$2-$3.yaml pid secs
    xo_topology
    xo_write_flowgate_config "$cfg" "$offload"
    secs=$((XO_ASSURE_S + BENCH_WARMUP + BENCH_WINDOW + 30))
    echo "# flowgate run --config $cfg" >"$log"
    (cd "$BENCH_ROOT" && exec ip netns exec "$XO_NS_R" timeout -k 5 $((secs + 60)) "$FLOWGATE" run --config "$cfg" \
        --duration "$secs" --stats-interval 1 --socket "$BENCH_DIR/flowgate-$$.sock") >>"$log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    # ready when the sender reaches the router
    local up=0
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        if xo_in "$XO_NS_S" ping -c1 -W1 -q 10.71.0.1 >/dev/null 2>&1; then up=1; break; fi
        sleep 0.2
    done
    ((up)) || { tail -20 "$log" >&2; bench_die "flowgate did not come up (see $log)"; }
    xo_pin_napi
    xo_establish
    xo_sink_drop
    xo_rate "$log"
    "$FLOWGATE" offload status --socket "$BENCH_DIR/flowgate-$$.sock" >>"$log" 2>&1
    kill -TERM "$pid" 2>/dev/null; wait "$pid"; bench_untrack "$pid"
}

# The share of the router's received packets the XDP program forwarded itself (fg_stats fast/rx, from the
# `flowgate offload status` the round appended to its log); the rest went to Java (before the flows were offloaded).
xo_fast_share() {
    grep -o 'fg_stats rx=[0-9]* fast=[0-9]*' "$1" | tail -1 \
        | awk -F'[= ]' '{ if ($3 > 0) printf "%.1f%%", 100 * $5 / $3; else printf "n/a" }'
}

bench_main() {
    xo_need_tools
    trap 'xo_cleanup; bench_cleanup' EXIT
    if ! xo_flowtable_supported; then
        [[ $XO_REQUIRE_FLOWTABLE == 1 ]] \
            && bench_die "this kernel has no nft flowtable (CONFIG_NF_FLOW_TABLE not set): reference (b) cannot run"
        XO_REFERENCE_NAME=nft-conntrack-noflowtable
        bench_log "no nft flowtable in this kernel: the reference is plain nft conntrack + masquerade ($XO_REFERENCE_NAME)"
    fi
    [[ $XO_FLOWGATE == 1 ]] && bench_need_flowgate
    echo "xdp_offload flows=$XO_FLOWS assure_s=$XO_ASSURE_S reference=$XO_REFERENCE_NAME size=64" >>"$BENCH_DIR/env.txt"
    local r mpps ref=() fg=() fga=()
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        bench_log "round $r/$BENCH_ROUNDS: Linux ($XO_REFERENCE_NAME)"
        xo_linux_round "$BENCH_DIR/linux-$r.log"
        mpps=$(bench_pps_to_mpps "$XO_RATE"); ref+=("$mpps")
        echo "xdp-offload round=$r tool=$XO_REFERENCE_NAME mpps=$mpps"
        [[ $XO_FLOWGATE == 1 ]] || continue
        bench_log "round $r/$BENCH_ROUNDS: flowgate, offload on"
        xo_flowgate_round "$BENCH_DIR/flowgate-on-$r.log" true "$r"
        mpps=$(bench_pps_to_mpps "$XO_RATE"); fg+=("$mpps")
        echo "xdp-offload round=$r tool=flowgate offload=on mpps=$mpps fast_path_share=$(xo_fast_share "$BENCH_DIR/flowgate-on-$r.log")"
        bench_log "round $r/$BENCH_ROUNDS: flowgate, offload off"
        xo_flowgate_round "$BENCH_DIR/flowgate-off-$r.log" false "$r"
        mpps=$(bench_pps_to_mpps "$XO_RATE"); fga+=("$mpps")
        echo "xdp-offload round=$r tool=flowgate offload=off mpps=$mpps"
    done
    xo_cleanup
    local x xa y
    y=$(bench_median "${ref[@]}")
    echo "xdp-offload $XO_REFERENCE_NAME runs: ${ref[*]} (Mpps)"
    if [[ $XO_FLOWGATE != 1 ]]; then
        echo "xdp-offload reference-only $XO_REFERENCE_NAME median=$y unit=Mpps (not a result line)"
        return 0
    fi
    x=$(bench_median "${fg[@]}"); xa=$(bench_median "${fga[@]}")
    echo "xdp-offload flowgate runs: on ${fg[*]} off ${fga[*]} (Mpps)"
    bench_result xdp-offload-nooffload "$(bench_ratio "$xa" "$y")" "$xa" "$y" Mpps "$XO_REFERENCE_NAME"
    bench_result xdp-offload "$(bench_ratio "$x" "$y")" "$x" "$y" Mpps "$XO_REFERENCE_NAME" | tee "$BENCH_DIR/result.txt"
}
