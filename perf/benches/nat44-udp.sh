# shellcheck shell=bash
# nat44-udp: flowgate's source NAT on established UDP sessions against Open vSwitch's
# userspace (DPDK) datapath translating every packet with `ct(commit,nat(src=RANGE))`,
# in CSIT's NAT44 scheme at three scales.
#
# Scheme (CSIT's nat44ed tests, "hN-p63-sS"): every inside host opens 63 sessions (63 source
# ports); NAT_SHARING inside hosts share one outside address (outside addresses =
# ceil(hosts / NAT_SHARING)):
#   scale  inside hosts  sessions   outside addresses (sharing 512 | CSIT's 1024)
#   4k             64       4032     1 | 1
#   64k          1024      64512     2 | 1
#   1m          16384    1032192    32 | 16
# NAT_SHARING is 512 by default, not CSIT's 1024: with 1024 an outside address carries
# 63 x 1024 = 64512 sessions in its 64512 ports 1024-65535, 100% of them, and both tools
# choose address and port by hash and a bounded search (Linux's get_unique_tuple; OVS's
# nat_get_unique_tuple), which cannot fill the last ports: measured at 64k, flowgate left
# 666 sessions (1%) without a port (nat port_exhausted, dropped) and OVS 10; at 1m OVS left
# 6.6k and fell to 0.29 Mpps, its PMD busy searching ports for them every pass. That
# measures the search for a port on every packet of the unlucky sessions, not established
# sessions. At 512 every session is established in both tools (ports 50% used).
# NAT_SCALES chooses some scales ("4k 64k 1m" by default); NAT_PORTS_PER_HOST and
# NAT_SHARING change the scheme.
#
# Same core, same devices, same traffic for both tools (conntrack-udp's harness, whose
# functions this file reuses, and perf/lib/ovs-dpdk.sh's private OVS):
#   port 0: net_pcap0,rx_pcap=<pcap>,infinite_rx=1   replays the pcap forever
#   port 1: net_null0,no-rx=1                        frees what it is sent
#   1m: the pcap split by inside host into 4 parts on 4 input ports (p0, p2, p3, p4 of
#     both tools, NAT_SESSIONS_PER_PORT): infinite_rx holds one mbuf per frame and OVS's
#     mempools hold 256k mbufs each (see perf/lib/ovs-dpdk.sh).
#   Traffic: `flowgate gen-pcap --flows SESSIONS --ports-per-source 63 --size 64`:
#     64-byte Ethernet/IPv4/UDP, host h = 198.18.0.1+h sends from ports 1024..1086 to
#     198.19.0.1:9, one frame per session, each session seen once per pass.
#   Outside addresses: NAT_OUTSIDE_FIRST (198.51.100.1) and the ones after it.
#   OVS: `in_port=1,udp,actions=ct(commit,nat(src=FIRST-LAST)),output:2`.
#   flowgate: `flowgate run --config` with conntrack-udp's ports, routes, neighbour and
#     conntrack section (capacity NAT_CT_CAPACITY per worker, 2M: the 1M sessions at most
#     half full) plus `nat: {rules: [{type: snat, out: p1, to: FIRST-LAST}]}` (docs/nat.md).
#     NAT_FLOWGATE_NAT=0 leaves the nat section out: conntrack-udp's routing with
#     conntrack and no translation, to test this script without the NAT engine (its
#     results are not NAT results and say so).
#   Rate: as conntrack-udp: port 1's transmitted packets per second over BENCH_WINDOW s
#     after BENCH_WARMUP s that start once OVS's conntrack holds 99% of the sessions.
#   Checks that the translation happens (a failed one fails the run):
#     OVS: dpctl/dump-conntrack after the window lists 99..101% of the sessions as
#       translated entries (reply destination in the outside range, from an inside
#       source); its datapath flow shows ct(commit,nat(src=...)); port 1 sent >= 99% of
#       what port 0 received, port 0 nothing.
#     flowgate: l3-route's routing audit, its conntrack line's entries within 99..101% of
#       the sessions, and a separate short run per scale (NAT_VERIFY=1, the default) that
#       reads the pcap once and writes port 1 to a pcap (net_pcap tx_pcap): every frame
#       sent must come from an outside address (NAT_FLOWGATE_NAT=0: from an inside one),
#       and 99% of the sessions must have been sent. flowgate's nat counters
#       (`nat ...` lines, if it prints them) are logged.
#   Schedule: per scale, OVS, flowgate, OVS, ... BENCH_ROUNDS times; medians per scale.
#   CPS (NAT_CPS=1, the default): a pcap of NAT_CPS_SCALE's sessions (1m) read once (no
#     infinite_rx), every frame a new session; each tool's rate of new translated
#     sessions is the slope of port 1's transmitted count between 10% and 90% of them
#     (conntrack-udp's method). Printed as the `nat44-udp-cps ...` line.
#
# Output: per round `nat44-udp-<scale> round=R tool=T mpps=X`, per scale
#   nat44-udp-<scale> ratio=R flowgate=X reference=Y unit=Mpps reference_name=ovs-dpdk-ct-nat
# then `nat44-udp-cps ratio=... unit=Mcps ...`, and last:
#   nat44-udp ratio=R flowgate=X reference=Y unit=Mpps reference_name=ovs-dpdk-ct-nat
# where R is the MINIMUM of the per-scale ratios (the issue's target is >= 2x at every
# scale) and X and Y are that scale's medians.
# BENCH_REFERENCE_ONLY=1 runs only the OVS rounds and prints their medians (not a result).

# shellcheck source=perf/benches/conntrack-udp.sh
source "$BENCHES_DIR/conntrack-udp.sh"

NAT_REFERENCE_NAME=ovs-dpdk-ct-nat
: "${NAT_SCALES=4k 64k 1m}"      # empty: the CPS measurement alone
: "${NAT_PORTS_PER_HOST:=63}"
: "${NAT_SHARING:=512}"
: "${NAT_OUTSIDE_FIRST:=198.51.100.1}"
: "${NAT_FLOWGATE_NAT:=1}"        # 0: flowgate without the nat section (harness test)
: "${NAT_CT_CAPACITY:=2097152}"   # flowgate conntrack capacity per worker
: "${NAT_VERIFY:=1}"              # 0 skips flowgate's translated-source capture
: "${NAT_CPS:=1}"                 # 0 skips the new-sessions-per-second measurement
: "${NAT_CPS_SCALE:=1m}"
: "${NAT_SESSIONS_PER_PORT:=258048}"  # most sessions one input port replays (4096 hosts)
# EAL memory (both tools): infinite_rx holds one mbuf (~2.3 kB) per pcap frame.
: "${NAT_MEM_MB_SMALL:=1024}"     # 4k, 64k
: "${NAT_MEM_MB_LARGE:=6144}"     # 1m: 1M mbufs in flowgate's pool, 4 x 256k in OVS's four
CTU_SIZE=64
CTU_REFERENCE_NAME=$NAT_REFERENCE_NAME
CTU_FLOWGATE_CONNTRACK=1          # conntrack is always on: NAT needs it
CTU_OVS_DP_ACTION="actions:ct(commit,nat(src="

# nat_hosts SCALE: the inside hosts of a scale (CSIT's h64, h1024, h16384).
nat_hosts() {
    case $1 in
        4k) echo 64 ;;
        64k) echo 1024 ;;
        1m) echo 16384 ;;
        *) bench_die "unknown scale $1 (4k, 64k, 1m)" ;;
    esac
}

# nat_ipv4_add A N: dotted address A plus N.
nat_ipv4_add() {
    local IFS=. a
    read -r -a a <<<"$1"
    local v=$(( ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) + $2 ))
    echo "$(( (v >> 24) & 255 )).$(( (v >> 16) & 255 )).$(( (v >> 8) & 255 )).$(( v & 255 ))"
}

# nat_scale SCALE: sets the globals of one scale: NAT_HOSTS, NAT_SESSIONS, NAT_OUTSIDE
# (count), NAT_OUTSIDE_LAST, CTU_FLOWS (conntrack-udp's checks), CTU_OVS_FLOW, and the
# memory and mbufs both tools get.
nat_scale() {
    NAT_HOSTS=$(nat_hosts "$1")
    NAT_SESSIONS=$((NAT_HOSTS * NAT_PORTS_PER_HOST))
    NAT_OUTSIDE=$(((NAT_HOSTS + NAT_SHARING - 1) / NAT_SHARING))
    NAT_OUTSIDE_LAST=$(nat_ipv4_add "$NAT_OUTSIDE_FIRST" $((NAT_OUTSIDE - 1)))
    CTU_FLOWS=$NAT_SESSIONS
    CTU_OVS_FLOW="udp,actions=ct(commit,nat(src=$NAT_OUTSIDE_FIRST-$NAT_OUTSIDE_LAST)),output:2"
    if ((NAT_SESSIONS > 100000)); then CTU_MEM_MB=$NAT_MEM_MB_LARGE; else CTU_MEM_MB=$NAT_MEM_MB_SMALL; fi
    # shellcheck disable=SC2034  # read by bench_eal_args and ovs_start
    BENCH_MEM_MB=$CTU_MEM_MB
    # One input port per NAT_SESSIONS_PER_PORT sessions (see perf/lib/ovs-dpdk.sh: OVS's
    # mempool per port holds 256k mbufs); the pcap is split by inside host.
    NAT_IN_PORTS=$(((NAT_SESSIONS + NAT_SESSIONS_PER_PORT - 1) / NAT_SESSIONS_PER_PORT))
    while ((NAT_HOSTS % NAT_IN_PORTS)); do NAT_IN_PORTS=$((NAT_IN_PORTS + 1)); done
    # flowgate's pool: the frames net_pcap holds plus rings and bursts, 2^k - 1
    CTU_MBUFS=131071
    while ((CTU_MBUFS < NAT_SESSIONS + 16383)); do CTU_MBUFS=$((CTU_MBUFS * 2 + 1)); done
}

# ---------------------------------------------------------------- OVS
# ctu_ovs_ct_entries DIR (replaces conntrack-udp's): the connections of
# dpctl/dump-conntrack that are source-translated into the outside range, e.g.
#   udp,orig=(src=198.18.0.1,dst=198.19.0.1,sport=1024,dport=9),reply=(src=198.19.0.1,dst=198.51.100.1,sport=9,dport=1024)
# The whole dump is not kept (1M entries): DIR/conntrack-summary.txt has the counts and
# the first entries.
ctu_ovs_ct_entries() {
    local dir=$1
    # ovs_run's 30 s may be short for a million entries
    OVS_RUNDIR=$BENCH_OVS_DIR timeout -k 2 120 ovs-appctl -t "$BENCH_OVS_DIR/vswitchd.ctl" dpctl/dump-conntrack \
        | nat_ct_audit "$dir/conntrack-summary.txt"
}

# nat_ct_audit OUT: reads dump-conntrack lines, writes counts and five sample lines to OUT,
# prints the number of entries from an inside address (198.18.0.0/16) whose reply goes
# to an outside address of this scale.
nat_ct_audit() {
    awk -v first="$NAT_OUTSIDE_FIRST" -v n="$NAT_OUTSIDE" -v out="$1" '
        function num(a, p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
        BEGIN { lo = num(first); hi = lo + n - 1 }
        { total++
          if (total <= 5) print > out
          if (!match($0, /orig=\(src=[0-9.]+/)) next
          osrc = substr($0, RSTART + 10, RLENGTH - 10)
          if (!match($0, /reply=\(src=[0-9.]+,dst=[0-9.]+/)) next
          r = substr($0, RSTART, RLENGTH); sub(/.*dst=/, "", r)
          if (osrc !~ /^198\.18\./) { other++; next }
          v = num(r)
          if (v >= lo && v <= hi) { nat++; used[r] = 1 } else untranslated++ }
        END { for (a in used) addrs++
              printf "entries=%d translated=%d untranslated=%d other=%d outside_addresses_used=%d of %d\n",
                  total, nat, untranslated, other, addrs, n > out
              print nat + 0 }'
}

# ---------------------------------------------------------------- flowgate
# nat_in_devs PCAP MODE: NAT_IN_DEVS = the input ports' devargs, net_pcap0.. on PCAP or on
# its parts (nat_split_pcap), MODE appended (",infinite_rx=1" or "").
nat_in_devs() {
    local k
    NAT_IN_DEVS=()
    if ((NAT_IN_PORTS == 1)); then NAT_IN_DEVS=("net_pcap0,rx_pcap=$1$2"); return 0; fi
    for ((k = 0; k < NAT_IN_PORTS; k++)); do NAT_IN_DEVS+=("net_pcap$k,rx_pcap=${1%.pcap}-part$k.pcap$2"); done
}

# nat_write_flowgate_config FILE PORT1_DEVICE EAL_ARGS...: conntrack-udp's configuration
# (ports, routes, neighbour, conntrack) with the input ports NAT_IN_DEVS (p0, p2, p3, ...:
# each in its own /16, the traffic's sources are 198.18.0.0/16 whatever port they
# arrive on), port 1 on PORT1_DEVICE, and the nat section unless NAT_FLOWGATE_NAT=0.
nat_write_flowgate_config() {
    local file=$1 dev1=$2 a first=1 k; shift 2
    {
        echo "# nat44-udp: flowgate's side (routing, conntrack and source NAT to $NAT_OUTSIDE_FIRST-$NAT_OUTSIDE_LAST)"
        printf 'eal: ['
        for a in "$@"; do ((first)) || printf ', '; printf '"%s"' "$a"; first=0; done
        echo ']'
        echo "workers: [$BENCH_FWD_CORE]"
        echo "ports:"
        echo "  - name: p0"
        echo "    device: ${NAT_IN_DEVS[0]}"
        echo "    addresses: [198.18.255.254/16]"
        echo "  - name: p1"
        echo "    device: $dev1"
        echo "    addresses: [198.19.255.254/16]"
        for ((k = 1; k < ${#NAT_IN_DEVS[@]}; k++)); do
            echo "  - name: p$((k + 1))"
            echo "    device: ${NAT_IN_DEVS[k]}"
            echo "    addresses: [198.$((19 + k)).255.254/16]"
        done
        echo "neighbours:"
        echo "  - {port: p1, address: 198.19.0.1, mac: \"${L3R_NEIGHBOURS[1]#* }\"}"
        echo "conntrack:"
        echo "  enabled: true"
        echo "  capacity: $NAT_CT_CAPACITY"
        if [[ $NAT_FLOWGATE_NAT == 1 ]]; then
            echo "nat:"
            echo "  rules:"
            echo "    - {type: snat, out: p1, to: $NAT_OUTSIDE_FIRST-$NAT_OUTSIDE_LAST}"
        fi
    } >"$file"
}

# nat_audit_flowgate LOG: l3-route's audit over every input port: from the per-port totals
# `flowgate run` prints at exit ("port N NAME: rx N tx N ..."), the input ports transmit
# nothing but the start-up announcements, port 1 at least 99% of what they received.
nat_audit_flowgate() {
    local log=$1 v announced
    announced=$(grep -E "^route summary " "$log" | tail -1 | tr ' ' '\n' | awk -F= '$1 == "announcements" { print $2 }')
    v=$(awk -v announced="${announced:-0}" '$1 == "port" && $2 ~ /^[0-9]+$/ && $4 == "rx" && $6 == "tx" {
            if ($2 == "1") { tx1 = $7; one = 1 } else { rx += $5; tx += $7 }; n++ }
        END { if (n < 2 || !one) { print "none"; exit }
              if (tx > announced) { print "input ports transmitted " tx " packets (" announced " announcements)"; exit }
              if (tx1 < 0.99 * rx) { print "port 1 transmitted " tx1 " of " rx " received"; exit }
              print "ok" }' "$log")
    case $v in
        ok) ;;
        none) bench_log "warning: no per-port totals in $log: flowgate's forwarding not audited" ;;
        *) bench_die "flowgate did not forward all traffic to port 1: $v (see $log)" ;;
    esac
}

# nat_log_flowgate_nat LOG: flowgate's nat counter lines, if it prints any.
nat_log_flowgate_nat() {
    grep -E '^nat ' "$1" | tail -2 | while read -r line; do bench_log "flowgate: $line"; done
}

# nat_verify_flowgate SCALE PCAP: one short run that reads PCAP once and captures what
# port 1 sends; every captured frame must have a translated source (outside range) and
# at least 99% of the sessions must have been sent.
nat_verify_flowgate() {
    local scale=$1 pcap=$2 cap=$BENCH_DIR/flowgate-verify-$1-tx.pcap log=$BENCH_DIR/flowgate-verify-$1.log
    local cfg=$BENCH_DIR/flowgate-verify-$1.yaml pid rc v secs=$((NAT_SESSIONS / 100000 + 4))
    bench_eal_args "$(bench_prefix "flowgate-verify-$scale")" "$BENCH_MAIN_CORE"
    nat_in_devs "$pcap" ""
    nat_write_flowgate_config "$cfg" "net_pcap9,tx_pcap=$cap" "${BENCH_EAL[@]}"
    local cmd=("$FLOWGATE" run --config "$cfg" --warmup 0 --duration "$secs" --stats-interval 1
        --mbufs "$CTU_MBUFS" --socket "$BENCH_DIR/flowgate-verify.sock")
    echo "# ${cmd[*]}" >"$log"
    (cd "$BENCH_ROOT" && exec timeout -k 5 $((secs + 60)) "${cmd[@]}") >>"$log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    wait "$pid"; rc=$?; bench_untrack "$pid"
    ((rc == 0)) || { tail -20 "$log" >&2; bench_die "flowgate's verification run exited with $rc (see $log)"; }
    nat_audit_flowgate "$log"
    BENCH_TMPFILES+=("$cap")
    local expect=outside
    [[ $NAT_FLOWGATE_NAT == 1 ]] || expect=inside
    v=$(python3 - "$cap" "$NAT_OUTSIDE_FIRST" "$NAT_OUTSIDE" "$expect" <<'EOF'
import socket, struct, sys
path, first, n, expect = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
lo = struct.unpack('!I', socket.inet_aton(first))[0]
inside_lo = struct.unpack('!I', socket.inet_aton('198.18.0.0'))[0]
frames = ok = bad = 0
sessions, addresses, first_bad = set(), set(), None
with open(path, 'rb') as f:
    head = f.read(24)
    endian = '<' if head[:4] == b'\xd4\xc3\xb2\xa1' or head[:4] == b'\x4d\x3c\xb2\xa1' else '>'
    while True:
        rec = f.read(16)
        if len(rec) < 16:
            break
        incl = struct.unpack(endian + 'IIII', rec)[2]
        data = f.read(incl)
        if len(data) < 38 or data[12:14] != b'\x08\x00' or data[23] != 17:
            continue      # the router's own frames (ARP announcements)
        frames += 1
        src = struct.unpack('!I', data[26:30])[0]
        sport = struct.unpack('!H', data[34:36])[0]
        good = (lo <= src < lo + n) if expect == 'outside' else (inside_lo <= src < inside_lo + 65536)
        if good:
            ok += 1
            sessions.add((src, sport))
            addresses.add(src)
        else:
            bad += 1
            if first_bad is None:
                first_bad = socket.inet_ntoa(data[26:30]) + ':' + str(sport)
print('frames=%d %s_source=%d other_source=%d distinct_source_tuples=%d source_addresses=%d first_other=%s'
      % (frames, expect, ok, bad, len(sessions), len(addresses), first_bad))
EOF
    ) || bench_die "reading $cap failed"
    echo "# tx capture: $v" >>"$log"
    bench_log "flowgate $scale verification (port 1 captured, pcap read once): $v"
    nat_log_flowgate_nat "$log"
    local frames other tuples
    frames=$(sed -E 's/.*frames=([0-9]+).*/\1/' <<<"$v")
    other=$(sed -E 's/.*other_source=([0-9]+).*/\1/' <<<"$v")
    tuples=$(sed -E 's/.*distinct_source_tuples=([0-9]+).*/\1/' <<<"$v")
    ((other == 0)) || bench_die "flowgate sent $other frames whose source is not $expect (see $log)"
    ((frames >= NAT_SESSIONS * 99 / 100)) || bench_die "flowgate sent $frames frames for $NAT_SESSIONS sessions read once (see $log)"
    ((tuples >= NAT_SESSIONS * 99 / 100)) \
        || bench_die "flowgate's $frames frames carry $tuples distinct source address:port for $NAT_SESSIONS sessions (see $log)"
}

# ---------------------------------------------------------------- main
# nat_dev_pcap DEVARGS: the rx_pcap file of a net_pcap devargs string.
nat_dev_pcap() {
    local f=${1#*rx_pcap=}
    echo "${f%%,*}"
}

# nat_split_pcap PCAP N: PCAP's records in N consecutive parts PCAP-part0.pcap ... (the
# inside hosts in N blocks: the sessions of one host stay on one port).
nat_split_pcap() {
    bench_log "splitting the pcap into $2 parts, one per input port"
    python3 - "$1" "$2" <<'EOF' || bench_die "splitting $1 failed"
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, 'rb') as f:
    head, body = f.read(24), f.read()
size = 16 + int.from_bytes(body[8:12], 'little' if head[:4] == b'\xd4\xc3\xb2\xa1' else 'big')
count = len(body) // size
assert count * size == len(body), 'records of unequal size'
per = count // n
for k in range(n):
    end = count if k == n - 1 else (k + 1) * per
    with open(path[:-len('.pcap')] + '-part%d.pcap' % k, 'wb') as out:
        out.write(head)
        out.write(body[k * per * size:end * size])
EOF
    local k
    for ((k = 0; k < $2; k++)); do BENCH_TMPFILES+=("${1%.pcap}-part$k.pcap"); done
}

nat_gen_pcap() {
    local out=$1 sessions=$2
    bench_log "generating a $sessions-session ${CTU_SIZE}-byte UDP pcap ($NAT_PORTS_PER_HOST ports per inside host)"
    (cd "$BENCH_ROOT" && timeout -k 5 300 "$FLOWGATE" gen-pcap --out "$out" --flows "$sessions" \
        --ports-per-source "$NAT_PORTS_PER_HOST" --size "$CTU_SIZE") >>"$BENCH_DIR/gen-pcap.log" 2>&1 \
        || bench_die "flowgate gen-pcap failed (see $BENCH_DIR/gen-pcap.log)"
    [[ -s $out ]] || bench_die "gen-pcap wrote no $out"
}

# nat_check_flowgate_config PCAP: `flowgate config check` must accept the nat section.
nat_check_flowgate_config() {
    local file=$BENCH_DIR/flowgate-check.yaml
    bench_eal_args "$(bench_prefix check)" "$BENCH_MAIN_CORE"
    nat_in_devs "$1" ",infinite_rx=1"
    nat_write_flowgate_config "$file" "net_null0,no-rx=1" "${BENCH_EAL[@]}"
    if ! (cd "$BENCH_ROOT" && timeout -k 5 120 "$FLOWGATE" config check "$file") >"$BENCH_DIR/flowgate-config-check.log" 2>&1; then
        cat "$BENCH_DIR/flowgate-config-check.log" >&2
        bench_die "flowgate refuses its configuration (NAT_FLOWGATE_NAT=0 runs without the nat section)"
    fi
}

# nat_run_scale SCALE: the rounds of one scale; prints the round lines and the scale's
# line, sets NAT_X and NAT_Y (medians) and NAT_R (ratio).
nat_run_scale() {
    local scale=$1 pcap r mpps log ref=() fg=()
    nat_scale "$scale"
    echo "nat44-udp scale=$scale hosts=$NAT_HOSTS sessions=$NAT_SESSIONS outside=$NAT_OUTSIDE_FIRST-$NAT_OUTSIDE_LAST mem_mb=$CTU_MEM_MB mbufs=$CTU_MBUFS" \
        >>"$BENCH_DIR/env.txt"
    pcap=$BENCH_DIR/nat44-udp-$scale.pcap
    nat_gen_pcap "$pcap" "$NAT_SESSIONS"
    BENCH_TMPFILES+=("$pcap")      # ~64 MB per million sessions: not kept
    ((NAT_IN_PORTS == 1)) || nat_split_pcap "$pcap" "$NAT_IN_PORTS"
    if [[ $BENCH_REFERENCE_ONLY != 1 ]]; then
        nat_check_flowgate_config "$pcap"
        [[ $NAT_VERIFY == 1 ]] && nat_verify_flowgate "$scale" "$pcap"
    fi
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        log=$BENCH_DIR/ovs-$scale-$r.log
        bench_log "$scale round $r/$BENCH_ROUNDS: OVS ct(commit,nat(src=$NAT_OUTSIDE_FIRST-$NAT_OUTSIDE_LAST)), $NAT_SESSIONS sessions"
        nat_in_devs "$pcap" ",infinite_rx=1"
        BENCH_OVS_MORE_IN=("${NAT_IN_DEVS[@]:1}")
        ctu_ovs_rate "$log" "$(bench_prefix "ovs-$scale-$r")" "$(nat_dev_pcap "${NAT_IN_DEVS[0]}")"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref+=("$mpps")
        echo "nat44-udp-$scale round=$r tool=$NAT_REFERENCE_NAME mpps=$mpps"
        [[ $BENCH_REFERENCE_ONLY == 1 ]] && continue

        bench_eal_args "$(bench_prefix "flowgate-$scale-$r")" "$BENCH_MAIN_CORE"
        bench_log "$scale round $r/$BENCH_ROUNDS: flowgate run --config, nat=$NAT_FLOWGATE_NAT, $NAT_SESSIONS sessions"
        nat_in_devs "$pcap" ",infinite_rx=1"
        nat_write_flowgate_config "$BENCH_DIR/flowgate-$scale-$r.yaml" "net_null0,no-rx=1" "${BENCH_EAL[@]}"
        log=$BENCH_DIR/flowgate-$scale-$r.log
        l3r_flowgate_rate "$log" "$BENCH_DIR/flowgate-$scale-$r.yaml" --mbufs "$CTU_MBUFS" \
            --socket "$BENCH_DIR/flowgate-$r.sock"
        nat_audit_flowgate "$log"
        ctu_check_flowgate_conntrack "$log"
        nat_log_flowgate_nat "$log"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); fg+=("$mpps")
        echo "nat44-udp-$scale round=$r tool=flowgate nat=$NAT_FLOWGATE_NAT mpps=$mpps"
    done
    NAT_Y=$(bench_median "${ref[@]}")
    echo "nat44-udp-$scale $NAT_REFERENCE_NAME runs: ${ref[*]} (Mpps)"
    if [[ $BENCH_REFERENCE_ONLY == 1 ]]; then
        echo "nat44-udp-$scale reference-only $NAT_REFERENCE_NAME median=$NAT_Y unit=Mpps (not a result line)"
        return 0
    fi
    NAT_X=$(bench_median "${fg[@]}")
    NAT_R=$(bench_ratio "$NAT_X" "$NAT_Y")
    echo "nat44-udp-$scale flowgate runs: ${fg[*]} (Mpps, nat=$NAT_FLOWGATE_NAT)"
    bench_result "nat44-udp-$scale" "$NAT_R" "$NAT_X" "$NAT_Y" Mpps "$NAT_REFERENCE_NAME"
}

# nat_run_cps: new translated sessions per second, NAT_CPS_SCALE's sessions read once.
nat_run_cps() {
    local pcap r mpps ref=() fg=()
    nat_scale "$NAT_CPS_SCALE"
    CTU_CPS_FLOWS=$NAT_SESSIONS
    NAT_IN_PORTS=1                 # read once: net_pcap holds no mbufs, one port suffices
    BENCH_OVS_MORE_IN=()
    pcap=$BENCH_DIR/nat44-udp-cps-$NAT_CPS_SCALE.pcap
    nat_gen_pcap "$pcap" "$NAT_SESSIONS"
    BENCH_TMPFILES+=("$pcap")
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        bench_log "cps round $r/$BENCH_ROUNDS: OVS, $NAT_SESSIONS new sessions ($NAT_CPS_SCALE)"
        ctu_ovs_cps "$BENCH_DIR/ovs-cps-$r.log" "$(bench_prefix "ovs-cps-$r")" "$pcap"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); ref+=("$mpps")
        echo "nat44-udp-cps round=$r tool=$NAT_REFERENCE_NAME mcps=$mpps"
        [[ $BENCH_REFERENCE_ONLY == 1 ]] && continue
        bench_eal_args "$(bench_prefix "flowgate-cps-$r")" "$BENCH_MAIN_CORE"
        bench_log "cps round $r/$BENCH_ROUNDS: flowgate, $NAT_SESSIONS new sessions ($NAT_CPS_SCALE)"
        nat_in_devs "$pcap" ""
        nat_write_flowgate_config "$BENCH_DIR/flowgate-cps-$r.yaml" "net_null0,no-rx=1" "${BENCH_EAL[@]}"
        ctu_flowgate_cps "$BENCH_DIR/flowgate-cps-$r.log" "$BENCH_DIR/flowgate-cps-$r.yaml"
        nat_log_flowgate_nat "$BENCH_DIR/flowgate-cps-$r.log"
        mpps=$(bench_pps_to_mpps "$BENCH_RATE"); fg+=("$mpps")
        echo "nat44-udp-cps round=$r tool=flowgate nat=$NAT_FLOWGATE_NAT mcps=$mpps"
    done
    local x y
    y=$(bench_median "${ref[@]}")
    if [[ $BENCH_REFERENCE_ONLY == 1 ]]; then
        echo "nat44-udp-cps reference-only $NAT_REFERENCE_NAME median=$y unit=Mcps (not a result line)"
        return 0
    fi
    x=$(bench_median "${fg[@]}")
    echo "nat44-udp-cps ratio=$(bench_ratio "$x" "$y") flowgate=$x reference=$y unit=Mcps reference_name=$NAT_REFERENCE_NAME sessions=$NAT_SESSIONS" \
        | tee "$BENCH_DIR/result-cps.txt"
}

bench_main() {
    bench_need_flowgate
    ovs_need
    command -v python3 >/dev/null 2>&1 || bench_die "python3 is needed to read the verification capture"
    echo "nat44_udp scales=$NAT_SCALES ports_per_host=$NAT_PORTS_PER_HOST sharing=$NAT_SHARING outside_first=$NAT_OUTSIDE_FIRST flowgate_nat=$NAT_FLOWGATE_NAT capacity=$NAT_CT_CAPACITY verify=$NAT_VERIFY cps=$NAT_CPS cps_scale=$NAT_CPS_SCALE" \
        >>"$BENCH_DIR/env.txt"
    [[ $NAT_FLOWGATE_NAT == 1 ]] \
        || bench_log "NAT_FLOWGATE_NAT=$NAT_FLOWGATE_NAT: flowgate runs WITHOUT NAT (harness test, not a NAT result)"

    local scale min_r='' min_x='' min_y='' lines=()
    for scale in $NAT_SCALES; do
        nat_run_scale "$scale"
        [[ $BENCH_REFERENCE_ONLY == 1 ]] && continue
        lines+=("nat44-udp-$scale ratio=$NAT_R flowgate=$NAT_X reference=$NAT_Y")
        if [[ -z $min_r ]] || awk -v a="$NAT_R" -v b="$min_r" 'BEGIN { exit !(a < b) }'; then
            min_r=$NAT_R min_x=$NAT_X min_y=$NAT_Y
        fi
    done
    [[ $NAT_CPS == 1 ]] && nat_run_cps
    [[ $BENCH_REFERENCE_ONLY == 1 ]] && return 0
    printf '%s\n' "${lines[@]}" >"$BENCH_DIR/result-scales.txt"
    bench_result nat44-udp "$min_r" "$min_x" "$min_y" Mpps "$NAT_REFERENCE_NAME" | tee "$BENCH_DIR/result.txt"
}
