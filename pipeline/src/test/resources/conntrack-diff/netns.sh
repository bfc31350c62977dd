#!/bin/bash
# Testbed of the conntrack differential harness: "netns.sh up P" / "netns.sh down P".
#   P-R  router: veth Pra 10.77.1.1/24 fd77:1::1/64 (client side A), Prb 10.77.2.1/24 fd77:2::1/64 (server side B), forwarding,
#        conntrack switched on by the nft table "inet ctd" whose forward chain counts every packet by
#        ct state x ct direction and writes that class into the DSCP field of the forwarded copy.
#   P-H  host: the outer ends Pha / Phb, without addresses, where sender.py injects and captures frames.
# Static neighbours, rp_filter off, redirects off: the router itself sends nothing. IPv6 only on the router's two
# interfaces (no link-local address, no DAD, no RA/RS, forwarding); the host side has IPv6 off.
set -euo pipefail
cmd=$1
P=$2
R=${P}R
H=${P}H
case "$cmd" in
up)
    ip netns add "$R"
    ip netns add "$H"
    for ns in "$R" "$H"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip -n "$R" link add "${P}ra" address 02:77:01:00:00:01 type veth peer name "${P}ha" address 02:77:01:00:00:02 netns "$H"
    ip -n "$R" link add "${P}rb" address 02:77:02:00:00:01 type veth peer name "${P}hb" address 02:77:02:00:00:02 netns "$H"
    ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.all.accept_local=1
    ip netns exec "$R" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.dad_transmits=0 \
        net.ipv6.conf.default.dad_transmits=0 net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
        net.ipv6.conf.all.accept_redirects=0 net.ipv6.conf.default.accept_redirects=0
    for i in "${P}ra" "${P}rb"; do
        ip netns exec "$R" sysctl -qw "net.ipv4.conf.$i.rp_filter=0" "net.ipv4.conf.$i.send_redirects=0"
        # addr_gen_mode 1: no link-local address, so no MLD reports or router solicitations from it.
        ip netns exec "$R" sysctl -qw "net.ipv6.conf.$i.addr_gen_mode=1" "net.ipv6.conf.$i.accept_ra=0" "net.ipv6.conf.$i.accept_dad=0" \
            "net.ipv6.conf.$i.dad_transmits=0" "net.ipv6.conf.$i.router_solicitations=0" "net.ipv6.conf.$i.forwarding=1" \
            "net.ipv6.conf.$i.accept_redirects=0"
        ip netns exec "$R" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=0"
    done
    for i in "${P}ha" "${P}hb"; do
        ip netns exec "$H" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
        ip -n "$H" link set "$i" up
    done
    ip -n "$R" addr add 10.77.1.1/24 dev "${P}ra"
    ip -n "$R" addr add 10.77.2.1/24 dev "${P}rb"
    ip -n "$R" addr add fd77:1::1/64 dev "${P}ra" nodad
    ip -n "$R" addr add fd77:2::1/64 dev "${P}rb" nodad
    ip -n "$R" link set "${P}ra" up
    ip -n "$R" link set "${P}rb" up
    ip -n "$R" neigh replace 10.77.1.2 lladdr 02:77:01:00:00:02 dev "${P}ra" nud permanent
    ip -n "$R" neigh replace 10.77.2.2 lladdr 02:77:02:00:00:02 dev "${P}rb" nud permanent
    ip -n "$R" -6 neigh replace fd77:1::2 lladdr 02:77:01:00:00:02 dev "${P}ra" nud permanent
    ip -n "$R" -6 neigh replace fd77:2::2 lladdr 02:77:02:00:00:02 dev "${P}rb" nud permanent
    ip netns exec "$R" nft -f - <<'NFT'
table inet ctd {
    chain forward {
        type filter hook forward priority 0; policy accept;
        meta nfproto ipv4 ct state new ct direction original counter ip dscp set 1
        meta nfproto ipv4 ct state new ct direction reply counter ip dscp set 2
        meta nfproto ipv4 ct state established ct direction original counter ip dscp set 3
        meta nfproto ipv4 ct state established ct direction reply counter ip dscp set 4
        meta nfproto ipv4 ct state related ct direction original counter ip dscp set 5
        meta nfproto ipv4 ct state related ct direction reply counter ip dscp set 6
        meta nfproto ipv4 ct state invalid counter ip dscp set 7
        meta nfproto ipv4 ct state untracked counter ip dscp set 8
        meta nfproto ipv6 ct state new ct direction original counter ip6 dscp set 1
        meta nfproto ipv6 ct state new ct direction reply counter ip6 dscp set 2
        meta nfproto ipv6 ct state established ct direction original counter ip6 dscp set 3
        meta nfproto ipv6 ct state established ct direction reply counter ip6 dscp set 4
        meta nfproto ipv6 ct state related ct direction original counter ip6 dscp set 5
        meta nfproto ipv6 ct state related ct direction reply counter ip6 dscp set 6
        meta nfproto ipv6 ct state invalid counter ip6 dscp set 7
        meta nfproto ipv6 ct state untracked counter ip6 dscp set 8
    }
}
NFT
    # The ct expression has registered conntrack in this namespace; accounting gives per-direction counters.
    ip netns exec "$R" sysctl -qw net.netfilter.nf_conntrack_acct=1
    ;;
down)
    ip netns del "$R" 2>/dev/null || true
    ip netns del "$H" 2>/dev/null || true
    ;;
*)
    echo "usage: $0 up|down PREFIX" >&2
    exit 2
    ;;
esac
