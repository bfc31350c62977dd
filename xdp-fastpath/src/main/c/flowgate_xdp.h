/*
 * flowgate's XDP fast path: the layouts shared by the BPF program (flowgate_xdp.c) and Java
 * (io.flowgate.xdp.bpf.FlowTable mirrors them; a layout test compares offsetof/sizeof with the Java side).
 * All addresses and ports are in network byte order, as they are on the wire.
 */
#ifndef FLOWGATE_XDP_H
#define FLOWGATE_XDP_H

#include <linux/types.h>

#define FG_MAX_PORTS 64          /* devmap and xsk_base entries: flowgate port ids */
#define FG_MAX_QUEUES 64         /* queues per interface; xskmap key = xsk_base[ifindex] + rx_queue_index */
#define FG_XSKMAP_SIZE (FG_MAX_PORTS * FG_MAX_QUEUES)

#define FG_FLOW_SNAT 0x01        /* the source address/port is rewritten */
#define FG_FLOW_DNAT 0x02        /* the destination address/port is rewritten */

/* One direction of one offloaded connection, as it arrives (before any rewrite). 44 bytes. */
struct fg_flow_key {
    __u32 ifindex;               /* ingress interface */
    __u8 family;                 /* 4 or 6 */
    __u8 protocol;               /* IPPROTO_TCP or IPPROTO_UDP */
    __u16 pad;                   /* zero */
    __u16 src_port;
    __u16 dst_port;
    __u32 src[4];                /* IPv4 in src[0], src[1..3] zero */
    __u32 dst[4];
};

/* What to do with a hit, and what the program counts. 88 bytes. */
struct fg_flow_action {
    __u64 cookie;                /* Java's handle of the conntrack entry and direction (opaque here) */
    __u32 egress;                /* devmap key: the flowgate port id the packet leaves by */
    __u16 mtu;                   /* egress MTU: a longer IP packet goes to Java (fragmentation / PTB) */
    __u8 flags;                  /* FG_FLOW_SNAT | FG_FLOW_DNAT */
    __u8 pad;
    __u8 dst_mac[6];             /* the next hop's MAC */
    __u8 src_mac[6];             /* the egress port's MAC */
    __u16 new_src_port;
    __u16 new_dst_port;
    __u32 new_src[4];
    __u32 new_dst[4];
    __u64 packets;               /* updated by the program (atomic add) */
    __u64 bytes;                 /* IP bytes (L3 length), as conntrack counts */
    __u64 last_seen_ns;          /* bpf_ktime_get_ns() of the last hit (CLOCK_MONOTONIC) */
};

/* Per-CPU counters of the program (array map "fg_stats", one __u64 per index). */
enum fg_stat {
    FG_STAT_RX = 0,              /* packets seen */
    FG_STAT_FAST,                /* hits redirected to the egress port */
    FG_STAT_MISS,                /* no offloaded flow: to Java */
    FG_STAT_TCP_FLAGS,           /* SYN/FIN/RST: to Java */
    FG_STAT_FRAGMENT,            /* IPv4/IPv6 fragments: to Java */
    FG_STAT_TTL,                 /* TTL/hop limit <= 1: to Java (time exceeded) */
    FG_STAT_MTU,                 /* longer than the egress MTU: to Java */
    FG_STAT_OTHER,               /* not IPv4/IPv6 TCP/UDP, IP options, bad headers: to Java */
    FG_STAT_REDIRECT_FAILED,     /* bpf_redirect_map failed: to Java */
    FG_STAT_XSK_MISSING,         /* no AF_XDP socket for the queue: XDP_PASS to the kernel */
    FG_STAT_COUNT
};

#endif
