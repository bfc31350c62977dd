// SPDX-License-Identifier: GPL-2.0
/*
 * flowgate's XDP programs (docs/xdp-fastpath.md "XDP program"), built by build-bpf.sh:
 *   fg_fastpath: offloaded flows are rewritten and redirected to their egress port (devmap) in the driver;
 *                everything else goes to the AF_XDP socket of the receive queue (xskmap).
 *   fg_xsk:      every packet to the AF_XDP socket of the receive queue (offload off).
 * Both share the maps below; Java (io.flowgate.xdp.bpf) fills them.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowgate_xdp.h"

#define FG_ETH_P_8021Q 0x8100
#define FG_ETH_P_8021AD 0x88A8
#define FG_IP_MF 0x2000
#define FG_IP_OFFSET 0x1FFF
#define FG_NEXTHDR_FRAGMENT 44

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);            /* Java sets the real bound before load */
    __type(key, struct fg_flow_key);
    __type(value, struct fg_flow_action);
} fg_flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, FG_MAX_PORTS);
    __type(key, __u32);                    /* flowgate port id */
    __type(value, __u32);                  /* ifindex */
} fg_tx_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, FG_XSKMAP_SIZE);
    __type(key, __u32);
    __type(value, __u32);
} fg_xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, FG_MAX_PORTS);
    __type(key, __u32);                    /* ifindex */
    __type(value, __u32);                  /* first xskmap slot of that interface */
} fg_xsk_base SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, FG_STAT_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} fg_stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
    __u64 *v = bpf_map_lookup_elem(&fg_stats, &stat);
    if (v)
        *v += 1;                           /* per-CPU: no atomic needed */
}

/* To the AF_XDP socket of the receive queue; XDP_PASS (to the kernel) when there is none. */
/* The context fields are read once, up front, by the callers: the verifier refuses a ctx pointer the
 * compiler has offset and kept in a register. */
static __always_inline int to_xsk(__u32 ifindex, __u32 queue)
{
    __u32 *base = bpf_map_lookup_elem(&fg_xsk_base, &ifindex);
    if (!base || queue >= FG_MAX_QUEUES) {
        count(FG_STAT_XSK_MISSING);
        return XDP_PASS;
    }
    int rc = bpf_redirect_map(&fg_xsks, *base + queue, XDP_PASS);
    if (rc == XDP_PASS)
        count(FG_STAT_XSK_MISSING);
    return rc;
}

#define to_java(ctx, stat) ({ count(stat); to_xsk(ifindex, queue); })

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), 16-bit words as they lie in memory (byte order does not matter). */
static __always_inline void csum_replace2(__u16 *sum, __u16 old, __u16 new)
{
    __u32 s = (__u16)~*sum;
    s += (__u16)~old;
    s += new;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    *sum = (__u16)~s;
}

static __always_inline void csum_replace4(__u16 *sum, __u32 old, __u32 new)
{
    csum_replace2(sum, (__u16)old, (__u16)new);
    csum_replace2(sum, (__u16)(old >> 16), (__u16)(new >> 16));
}

/* The L4 checksum field to update, or 0 when there is none to update (IPv4 UDP with checksum 0; IPv6 UDP with 0 never
 * gets here). */
static __always_inline __u16 *l4_csum(void *l4, void *data_end, __u8 protocol, int ipv4)
{
    if (protocol == IPPROTO_TCP) {
        struct tcphdr *tcp = l4;
        if ((void *)(tcp + 1) > data_end)
            return 0;
        return &tcp->check;
    }
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end)
        return 0;
    if (ipv4 && udp->check == 0)
        return 0;
    return &udp->check;
}

/* A UDP checksum that comes out as 0 is sent as 0xffff (0 means "none", RFC 768). */
static __always_inline void udp_fix(__u16 *check, __u8 protocol)
{
    if (check && protocol == IPPROTO_UDP && *check == 0)
        *check = 0xffff;
}

static __always_inline void rewrite_ports(struct fg_flow_action *act, __u16 *sport, __u16 *dport, __u16 *check)
{
    if ((act->flags & FG_FLOW_SNAT) && *sport != act->new_src_port) {
        if (check)
            csum_replace2(check, *sport, act->new_src_port);
        *sport = act->new_src_port;
    }
    if ((act->flags & FG_FLOW_DNAT) && *dport != act->new_dst_port) {
        if (check)
            csum_replace2(check, *dport, act->new_dst_port);
        *dport = act->new_dst_port;
    }
}

static __always_inline void account(struct fg_flow_action *act, __u64 l3len)
{
    __sync_fetch_and_add(&act->packets, 1);
    __sync_fetch_and_add(&act->bytes, l3len);
    act->last_seen_ns = bpf_ktime_get_ns();
}

static __always_inline int fastpath(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    __u32 ifindex = ctx->ingress_ifindex;
    __u32 queue = ctx->rx_queue_index;
    struct fg_flow_key key;

    count(FG_STAT_RX);
    if ((void *)(eth + 1) > data_end)
        return to_java(ctx, FG_STAT_OTHER);
    __builtin_memset(&key, 0, sizeof(key));
    key.ifindex = ifindex;

    __u16 proto = eth->h_proto;
    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > data_end)
            return to_java(ctx, FG_STAT_OTHER);
        if (ip->ihl != 5 || ip->version != 4)
            return to_java(ctx, FG_STAT_OTHER);        /* options (or garbage): Java */
        if (ip->frag_off & bpf_htons(FG_IP_MF | FG_IP_OFFSET))
            return to_java(ctx, FG_STAT_FRAGMENT);
        if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
            return to_java(ctx, FG_STAT_OTHER);
        void *l4 = (void *)(ip + 1);
        if (ip->protocol == IPPROTO_TCP) {
            struct tcphdr *tcp = l4;
            if ((void *)(tcp + 1) > data_end)
                return to_java(ctx, FG_STAT_OTHER);
            if (tcp->syn || tcp->fin || tcp->rst)
                return to_java(ctx, FG_STAT_TCP_FLAGS);
        } else if ((void *)((struct udphdr *)l4 + 1) > data_end) {
            return to_java(ctx, FG_STAT_OTHER);
        }
        __u16 *ports = l4;                              /* source and destination port lead both headers */
        key.family = 4;
        key.protocol = ip->protocol;
        key.src_port = ports[0];
        key.dst_port = ports[1];
        key.src[0] = ip->saddr;
        key.dst[0] = ip->daddr;
        struct fg_flow_action *act = bpf_map_lookup_elem(&fg_flows, &key);
        if (!act)
            return to_java(ctx, FG_STAT_MISS);
        if (ip->ttl <= 1)
            return to_java(ctx, FG_STAT_TTL);
        __u16 l3len = bpf_ntohs(ip->tot_len);
        if (l3len > act->mtu)
            return to_java(ctx, FG_STAT_MTU);
        /* The redirect target is chosen first, so a failure leaves the packet as it came for Java. */
        int rc = bpf_redirect_map(&fg_tx_ports, act->egress, 0);
        if (rc != XDP_REDIRECT)
            return to_java(ctx, FG_STAT_REDIRECT_FAILED);

        __u16 *check = l4_csum(l4, data_end, ip->protocol, 1);
        if (act->flags & FG_FLOW_SNAT) {
            __u32 a = act->new_src[0];
            csum_replace4(&ip->check, ip->saddr, a);
            if (check)
                csum_replace4(check, ip->saddr, a);
            ip->saddr = a;
        }
        if (act->flags & FG_FLOW_DNAT) {
            __u32 a = act->new_dst[0];
            csum_replace4(&ip->check, ip->daddr, a);
            if (check)
                csum_replace4(check, ip->daddr, a);
            ip->daddr = a;
        }
        rewrite_ports(act, &ports[0], &ports[1], check);
        udp_fix(check, ip->protocol);
        /* TTL shares a 16-bit word with the protocol */
        __u16 *ttlword = (__u16 *)&ip->ttl;
        __u16 oldword = *ttlword;
        ip->ttl--;
        csum_replace2(&ip->check, oldword, *ttlword);
        __builtin_memcpy(eth->h_dest, act->dst_mac, ETH_ALEN);
        __builtin_memcpy(eth->h_source, act->src_mac, ETH_ALEN);
        account(act, l3len);
        count(FG_STAT_FAST);
        return XDP_REDIRECT;
    }
    if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = (void *)(eth + 1);
        if ((void *)(ip6 + 1) > data_end)
            return to_java(ctx, FG_STAT_OTHER);
        if (ip6->nexthdr == FG_NEXTHDR_FRAGMENT)
            return to_java(ctx, FG_STAT_FRAGMENT);
        if (ip6->nexthdr != IPPROTO_TCP && ip6->nexthdr != IPPROTO_UDP)
            return to_java(ctx, FG_STAT_OTHER);        /* extension headers, ICMPv6, ...: Java */
        void *l4 = (void *)(ip6 + 1);
        if (ip6->nexthdr == IPPROTO_TCP) {
            struct tcphdr *tcp = l4;
            if ((void *)(tcp + 1) > data_end)
                return to_java(ctx, FG_STAT_OTHER);
            if (tcp->syn || tcp->fin || tcp->rst)
                return to_java(ctx, FG_STAT_TCP_FLAGS);
        } else if ((void *)((struct udphdr *)l4 + 1) > data_end) {
            return to_java(ctx, FG_STAT_OTHER);
        }
        if (ip6->nexthdr == IPPROTO_UDP && ((struct udphdr *)l4)->check == 0)
            return to_java(ctx, FG_STAT_OTHER);        /* no checksum is invalid over IPv6: Java's tracker decides (udp6_error) */
        __u16 *ports = l4;
        key.family = 6;
        key.protocol = ip6->nexthdr;
        key.src_port = ports[0];
        key.dst_port = ports[1];
        __builtin_memcpy(key.src, &ip6->saddr, 16);
        __builtin_memcpy(key.dst, &ip6->daddr, 16);
        struct fg_flow_action *act = bpf_map_lookup_elem(&fg_flows, &key);
        if (!act)
            return to_java(ctx, FG_STAT_MISS);
        if (ip6->hop_limit <= 1)
            return to_java(ctx, FG_STAT_TTL);
        __u32 l3len = bpf_ntohs(ip6->payload_len) + (__u32)sizeof(struct ipv6hdr);
        if (l3len > act->mtu)
            return to_java(ctx, FG_STAT_MTU);
        int rc = bpf_redirect_map(&fg_tx_ports, act->egress, 0);
        if (rc != XDP_REDIRECT)
            return to_java(ctx, FG_STAT_REDIRECT_FAILED);

        __u16 *check = l4_csum(l4, data_end, ip6->nexthdr, 0);
        __u32 *saddr = (__u32 *)&ip6->saddr;
        __u32 *daddr = (__u32 *)&ip6->daddr;
        if (act->flags & FG_FLOW_SNAT) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                if (check)
                    csum_replace4(check, saddr[i], act->new_src[i]);
                saddr[i] = act->new_src[i];
            }
        }
        if (act->flags & FG_FLOW_DNAT) {
#pragma unroll
            for (int i = 0; i < 4; i++) {
                if (check)
                    csum_replace4(check, daddr[i], act->new_dst[i]);
                daddr[i] = act->new_dst[i];
            }
        }
        rewrite_ports(act, &ports[0], &ports[1], check);
        udp_fix(check, ip6->nexthdr);
        ip6->hop_limit--;
        __builtin_memcpy(eth->h_dest, act->dst_mac, ETH_ALEN);
        __builtin_memcpy(eth->h_source, act->src_mac, ETH_ALEN);
        account(act, l3len);
        count(FG_STAT_FAST);
        return XDP_REDIRECT;
    }
    /* VLAN-tagged (802.1Q / 802.1ad), ARP and everything else: Java */
    return to_java(ctx, FG_STAT_OTHER);
}

SEC("xdp")
int fg_fastpath(struct xdp_md *ctx)
{
    return fastpath(ctx);
}

SEC("xdp")
int fg_xsk(struct xdp_md *ctx)
{
    __u32 ifindex = ctx->ingress_ifindex;
    __u32 queue = ctx->rx_queue_index;
    count(FG_STAT_RX);
    return to_xsk(ifindex, queue);
}

char _license[] SEC("license") = "GPL";
