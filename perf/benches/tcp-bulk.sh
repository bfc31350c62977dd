# shellcheck shell=bash
# tcp-bulk: the host stack's TCP receive side: one bulk connection, and connections accepted per second.
#
# Path (both tools): namespace C (client, 10.77.0.1/24) --veth pair, MTU 1500-- namespace S (server,
# 10.77.0.2). The same veth pair serves both tools; between rounds only the server changes:
#   reference: the kernel of S owns 10.77.0.2 and `tcp-load discard 5001` (perf/lib/tcp-load.c: epoll,
#              reads and drops, closes at end of stream) listens there, pinned to core $BENCH_FWD_CORE.
#   flowgate:  S's veth end has no address; `flowgate run --config` drives it as net_af_packet0
#              (EAL -l MAIN,FWD, its worker on core $BENCH_FWD_CORE, the slow path and the stack on the
#              main core) with `host: services: [{type: discard, port: 5001}]` on 10.77.0.2/24.
# Client (both): `tcp-load` pinned to core $BENCH_MAIN_CORE:
#   bulk:   writes 64 KiB chunks for TCPB_WARMUP + TCPB_WINDOW s, then shuts down and waits until every
#           byte and the FIN are acknowledged (SIOCOUTQ 0); rate = bytes acknowledged after the warm-up /
#           time from the warm-up's end to the last acknowledgement.
#   accept: connect (handshake complete), close, repeat for TCPB_ACCEPT_SECONDS; connections per second.
#           The client's namespace sets tcp_tw_reuse=1 and ports 1024-65535 (its TIME_WAITs would
#           otherwise run out of ports).
# Offloads: tx/rx checksum, TSO, GSO and GRO are off on BOTH veth ends in every round: flowgate cannot take
# GSO/TSO super-frames (or partial checksums) through af_packet, and the kernel gets the same frames, so
# Linux is measured with 1500-byte segments and software checksums, not with 64 KiB GSO frames.
# Each round first runs an unmeasured TCPB_PRIME s bulk transfer and 1 s of accepts (flowgate's JIT).
# flowgate runs with rings.size TCPB_RINGS (the default 1024 gives the worker -> slow path ring 32 bursts,
# which overflowed under bulk load) and its own management socket in the results directory.
# Schedule: reference, flowgate, reference, flowgate, ... ($BENCH_ROUNDS each); medians.
# (BENCH_WARMUP/BENCH_WINDOW, which env.txt shows, are not used here: TCPB_* are.)
# Last two lines (stdout):
#   tcp-bulk ratio=R flowgate=X reference=Y unit=Gbit/s reference_name=linux-tcp
#   tcp-accept ratio=R flowgate=X reference=Y unit=conn/s reference_name=linux-tcp
# BENCH_REFERENCE_ONLY=1 runs only the Linux rounds (no result lines).

: "${TCPB_PRIME:=3}"            # seconds of an unmeasured bulk transfer first (flowgate's JIT compiles), both tools
: "${TCPB_WARMUP:=1}"           # seconds of the measured connection not counted (slow start)
: "${TCPB_WINDOW:=5}"           # seconds measured
: "${TCPB_ACCEPT_SECONDS:=4}"
: "${TCPB_PORT:=5001}"
: "${BENCH_REFERENCE_ONLY:=0}"
: "${TCPB_START_TIMEOUT:=60}"   # seconds for flowgate to start answering on the port
: "${TCPB_RINGS:=16384}"         # flowgate rings.size: the worker -> slow path ring holds size/burst bursts
: "${TCPB_CLIENT_CC:=}"          # the client's congestion control; empty: the system's default (bbr on these VMs)
: "${TCPB_PERF:=0}"             # 1: `perf record -a -g` for 3 s in the middle of each bulk window (both tools)
: "${TCPB_JFR:=0}"              # 1: each flowgate round records JFR (profile settings) into flowgate-N.jfr

TCPB_CLIENT_ADDR=10.77.0.1
TCPB_SERVER_ADDR=10.77.0.2

tcpb_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# The compiled client/server, cached by the source's hash.
tcpb_need_load() {
    command -v cc >/dev/null 2>&1 || bench_die "cc is needed to build perf/lib/tcp-load.c"
    local src=$BENCH_ROOT/perf/lib/tcp-load.c sum
    sum=$(sha256sum "$src" | cut -c1-12)
    TCPB_LOAD=$BENCH_CACHE/tcp-load-$sum
    if [[ ! -x $TCPB_LOAD ]]; then
        mkdir -p "$BENCH_CACHE" || bench_die "cannot create $BENCH_CACHE"
        cc -O2 -Wall -o "$TCPB_LOAD.tmp" "$src" 2>"$BENCH_DIR/tcp-load-build.log" \
            || bench_die "building tcp-load failed (see $BENCH_DIR/tcp-load-build.log)"
        mv "$TCPB_LOAD.tmp" "$TCPB_LOAD"
    fi
}

tcpb_topology() {
    local id=$(( $$ % 100000 ))
    TCPB_NS_C=tpf-$id-c
    TCPB_NS_S=tpf-$id-s
    TCPB_DEV_C=tpf${id}c
    TCPB_DEV_S=tpf${id}s
    TCPB_NETNS=("$TCPB_NS_C" "$TCPB_NS_S")
    ip netns add "$TCPB_NS_C" && ip netns add "$TCPB_NS_S" || bench_die "ip netns add failed"
    ip link add "$TCPB_DEV_C" netns "$TCPB_NS_C" type veth peer name "$TCPB_DEV_S" netns "$TCPB_NS_S" \
        || bench_die "veth failed"
    local e
    for e in "$TCPB_NS_C:$TCPB_DEV_C" "$TCPB_NS_S:$TCPB_DEV_S"; do
        ip -n "${e%%:*}" link set lo up
        ip -n "${e%%:*}" link set "${e#*:}" mtu 1500 up
        tcpb_in "${e%%:*}" ethtool -K "${e#*:}" tx off rx off tso off gso off gro off >/dev/null 2>&1 \
            || bench_die "ethtool -K ${e#*:} failed"
    done
    ip -n "$TCPB_NS_C" addr add "$TCPB_CLIENT_ADDR/24" dev "$TCPB_DEV_C"
    tcpb_in "$TCPB_NS_C" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535" \
        || bench_die "client sysctls failed"
    # NOTE: a congestion control missing from tcp_allowed_congestion_control cannot be set in a namespace (EPERM)
    [[ -n $TCPB_CLIENT_CC ]] && { tcpb_in "$TCPB_NS_C" sysctl -qw net.ipv4.tcp_congestion_control="$TCPB_CLIENT_CC" \
        || bench_die "cannot set the client's congestion control to $TCPB_CLIENT_CC"; }
    echo "client: $(tcpb_in "$TCPB_NS_C" sysctl net.ipv4.tcp_congestion_control) tcp_tw_reuse=1" >>"$BENCH_DIR/env.txt"
    { echo "veth $TCPB_DEV_C ($TCPB_NS_C) <-> $TCPB_DEV_S ($TCPB_NS_S)"
      tcpb_in "$TCPB_NS_C" ethtool -k "$TCPB_DEV_C" | grep -E 'checksumming:|segmentation-offload:|generic-receive'
      tcpb_in "$TCPB_NS_S" ethtool -k "$TCPB_DEV_S" | grep -E 'checksumming:|segmentation-offload:|generic-receive'
    } >>"$BENCH_DIR/env.txt" 2>&1
}

tcpb_cleanup() {
    local ns
    for ns in "${TCPB_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    TCPB_NETNS=()
}

# tcpb_clients LOGPREFIX: bulk then accept from C; sets TCPB_GBPS and TCPB_CPS.
tcpb_clients() {
    local log=$1 line r0 r1
    tcpb_in "$TCPB_NS_C" ip neigh flush dev "$TCPB_DEV_C" 2>/dev/null
    if ((TCPB_PRIME > 0)); then
        timeout -k 5 $((TCPB_PRIME + 30)) ip netns exec "$TCPB_NS_C" taskset -c "$BENCH_MAIN_CORE" \
            "$TCPB_LOAD" bulk "$TCPB_SERVER_ADDR" "$TCPB_PORT" 0 "$TCPB_PRIME" >"$log-prime.log" 2>&1 \
            || { cat "$log-prime.log" >&2; return 1; }
        timeout -k 5 30 ip netns exec "$TCPB_NS_C" taskset -c "$BENCH_MAIN_CORE" \
            "$TCPB_LOAD" accept "$TCPB_SERVER_ADDR" "$TCPB_PORT" 1 >>"$log-prime.log" 2>&1 \
            || { cat "$log-prime.log" >&2; return 1; }
    fi
    echo "loadavg before bulk: $(cut -d' ' -f1-3 /proc/loadavg)" >"$log-load.log"
    r0=$(tcpb_client_retrans)
    # the client's view of the connection (cwnd, rtt, peer window, retransmissions) halfway through the window
    ( sleep $((TCPB_WARMUP + TCPB_WINDOW / 2)); tcpb_in "$TCPB_NS_C" ss -tin dst "$TCPB_SERVER_ADDR" >"$log-bulk-ss.log" 2>&1
      [[ -n $TCPB_SOCK ]] && cd "$BENCH_ROOT" && timeout -k 2 20 ip netns exec "$TCPB_NS_S" "$FLOWGATE" ss -t -i -n \
          --socket "$TCPB_SOCK" 2>&1 | grep -A1 -E '^(State|ESTAB)' >"$log-bulk-flowgate-ss.log" ) &
    local ss_pid=$! perf_pid=
    if ((TCPB_PERF)); then
        ( sleep $((TCPB_WARMUP + 1)); exec timeout -s INT 5 perf record -q -a -g -o "$log-bulk.perf.data" -- sleep 3 ) \
            >"$log-bulk-perf.log" 2>&1 &
        perf_pid=$!
    fi
    timeout -k 5 $((TCPB_WARMUP + TCPB_WINDOW + 30)) ip netns exec "$TCPB_NS_C" taskset -c "$BENCH_MAIN_CORE" \
        "$TCPB_LOAD" bulk "$TCPB_SERVER_ADDR" "$TCPB_PORT" "$TCPB_WARMUP" "$TCPB_WINDOW" >"$log-bulk.log" 2>&1 \
        || { cat "$log-bulk.log" >&2; wait "$ss_pid"; return 1; }
    wait "$ss_pid"
    [[ -n $perf_pid ]] && wait "$perf_pid"
    line=$(grep '^bulk ' "$log-bulk.log") || return 1
    TCPB_GBPS=$(tr ' ' '\n' <<<"$line" | awk -F= '$1 == "gbit_per_s" { printf "%.3f\n", $2 }')
    r1=$(tcpb_client_retrans)
    TCPB_RETRANS=$((r1 - r0))
    echo "client RetransSegs during bulk: $TCPB_RETRANS" >>"$log-bulk.log"
    bench_sleep 1
    timeout -k 5 $((TCPB_ACCEPT_SECONDS + 30)) ip netns exec "$TCPB_NS_C" taskset -c "$BENCH_MAIN_CORE" \
        "$TCPB_LOAD" accept "$TCPB_SERVER_ADDR" "$TCPB_PORT" "$TCPB_ACCEPT_SECONDS" >"$log-accept.log" 2>&1 \
        || { cat "$log-accept.log" >&2; return 1; }
    line=$(grep '^accept ' "$log-accept.log") || return 1
    TCPB_CPS=$(tr ' ' '\n' <<<"$line" | awk -F= '$1 == "per_s" { printf "%.1f\n", $2 }')
    tcpb_in "$TCPB_NS_C" ss -s >>"$log-accept.log" 2>&1
}

# The client namespace's Tcp RetransSegs (/proc/net/snmp).
tcpb_client_retrans() {
    tcpb_in "$TCPB_NS_C" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $(c["RetransSegs"]) }' /proc/net/snmp
}

# Waits until something accepts connections on the server's port (one probe connection per try).
tcpb_wait_listening() {
    local pid=$1 i
    for ((i = 0; i < TCPB_START_TIMEOUT * 2; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        tcpb_in "$TCPB_NS_C" timeout 1 bash -c "exec 3<>/dev/tcp/$TCPB_SERVER_ADDR/$TCPB_PORT" 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}

tcpb_reference_round() {
    local log=$1 pid rc=0
    TCPB_SOCK=
    ip -n "$TCPB_NS_S" addr add "$TCPB_SERVER_ADDR/24" dev "$TCPB_DEV_S"
    echo "# ip netns exec $TCPB_NS_S taskset -c $BENCH_FWD_CORE $TCPB_LOAD discard $TCPB_PORT" >"$log-server.log"
    timeout -k 5 120 ip netns exec "$TCPB_NS_S" taskset -c "$BENCH_FWD_CORE" "$TCPB_LOAD" discard "$TCPB_PORT" \
        >>"$log-server.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    tcpb_wait_listening "$pid" || rc=1
    ((rc == 0)) && { tcpb_clients "$log" || rc=1; }
    kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; bench_untrack "$pid"
    ip -n "$TCPB_NS_S" addr flush dev "$TCPB_DEV_S"
    ((rc == 0)) || bench_die "reference round failed (see $log-*.log)"
}

tcpb_write_config() {
    local file=$1; shift
    local eal="" a
    for a in "$@"; do eal+="\"$a\", "; done
    cat >"$file" <<YAML
# perf/bench tcp-bulk: flowgate's host stack on one af_packet port; the discard service on $TCPB_PORT.
eal: [${eal%, }]
workers: [$BENCH_FWD_CORE]
rings: {size: $TCPB_RINGS}
ports:
  - {name: s0, device: "net_af_packet0,iface=$TCPB_DEV_S", addresses: [$TCPB_SERVER_ADDR/24]}
host:
  tcp: {congestion: cubic, sack: true, timestamps: true, window-scaling: true}
  services:
    - {type: discard, port: $TCPB_PORT}
YAML
}

tcpb_flowgate_round() {
    local log=$1 cfg=$1.yaml pid rc=0
    bench_eal_args "$(bench_prefix "r$2")"
    tcpb_write_config "$cfg" "${BENCH_EAL[@]}"
    local sock=$BENCH_DIR/flowgate-$2.sock     # not the default /run/flowgate one: other runs may own it
    TCPB_SOCK=$sock                            # tcpb_clients also asks flowgate's ss halfway through the bulk window
    local cmd=("$FLOWGATE" run --config "$cfg" --stats-interval 0 --socket "$sock"
               --duration $((TCPB_START_TIMEOUT + TCPB_WARMUP + TCPB_WINDOW + TCPB_ACCEPT_SECONDS + 40)))
    local jopts=${JAVA_OPTS:-}
    ((TCPB_JFR)) && jopts+=" -XX:StartFlightRecording=settings=profile,filename=$log.jfr,dumponexit=true"
    echo "# JAVA_OPTS=$jopts ip netns exec $TCPB_NS_S ${cmd[*]}" >"$log-server.log"
    (cd "$BENCH_ROOT" && JAVA_OPTS=$jopts exec timeout -k 5 $((TCPB_START_TIMEOUT + TCPB_WARMUP + TCPB_WINDOW + TCPB_ACCEPT_SECONDS + 60)) \
        ip netns exec "$TCPB_NS_S" "${cmd[@]}") >>"$log-server.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    tcpb_wait_listening "$pid" || { rc=1; bench_log "flowgate did not accept on $TCPB_SERVER_ADDR:$TCPB_PORT"; }
    ((rc == 0)) && { tcpb_clients "$log" || rc=1; }
    # flowgate's own view of the stack, for the logs (best effort)
    (cd "$BENCH_ROOT" && timeout -k 2 20 ip netns exec "$TCPB_NS_S" "$FLOWGATE" tcp stats --socket "$sock") >"$log-tcp-stats.log" 2>&1
    kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log-server.log" >&2; bench_die "flowgate round failed (see $log-*.log)"; }
}

bench_main() {
    TCPB_NETNS=()
    TCPB_SOCK=
    trap 'tcpb_cleanup; bench_cleanup' EXIT
    command -v ethtool >/dev/null 2>&1 || bench_die "ethtool is needed"
    tcpb_need_load
    ((BENCH_REFERENCE_ONLY)) || bench_need_flowgate
    echo "tcp-bulk: prime=$TCPB_PRIME warmup=$TCPB_WARMUP window=$TCPB_WINDOW accept_s=$TCPB_ACCEPT_SECONDS rings=$TCPB_RINGS" \
        >>"$BENCH_DIR/env.txt"
    tcpb_topology
    bench_log "offloads (checksum, TSO, GSO, GRO) off on both veth ends for both tools; MTU 1500"
    local r fg_bulk=() fg_acc=() ref_bulk=() ref_acc=()
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        bench_log "round $r/$BENCH_ROUNDS: Linux reference (tcp-load discard)"
        tcpb_reference_round "$BENCH_DIR/reference-$r"
        ref_bulk+=("$TCPB_GBPS"); ref_acc+=("$TCPB_CPS")
        echo "tcp-bulk round=$r reference bulk_gbit_s=$TCPB_GBPS accept_conn_s=$TCPB_CPS client_retrans=$TCPB_RETRANS"
        ((BENCH_REFERENCE_ONLY)) && continue
        bench_log "round $r/$BENCH_ROUNDS: flowgate (host stack, discard service)"
        tcpb_flowgate_round "$BENCH_DIR/flowgate-$r" "$r"
        fg_bulk+=("$TCPB_GBPS"); fg_acc+=("$TCPB_CPS")
        echo "tcp-bulk round=$r flowgate bulk_gbit_s=$TCPB_GBPS accept_conn_s=$TCPB_CPS client_retrans=$TCPB_RETRANS"
    done
    local y ya x xa
    y=$(bench_median "${ref_bulk[@]}"); ya=$(bench_median "${ref_acc[@]}")
    if ((BENCH_REFERENCE_ONLY)); then
        echo "tcp-bulk reference-only linux-tcp bulk=$y Gbit/s accept=$ya conn/s (offloads off; not a result line)"
        return 0
    fi
    x=$(bench_median "${fg_bulk[@]}"); xa=$(bench_median "${fg_acc[@]}")
    {
        bench_result tcp-bulk "$(bench_ratio "$x" "$y")" "$x" "$y" Gbit/s linux-tcp
        bench_result tcp-accept "$(bench_ratio "$xa" "$ya")" "$xa" "$ya" conn/s linux-tcp
    } | tee "$BENCH_DIR/result.txt"
}
