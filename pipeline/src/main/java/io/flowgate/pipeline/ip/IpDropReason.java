package io.flowgate.pipeline.ip;

/**
 * Why the IP stages dropped a packet: the value they leave in {@code burst.reason}. Named after Linux's
 * {@code enum skb_drop_reason} ({@code include/net/dropreason-core.h}, without the {@code SKB_DROP_REASON_}
 * prefix) so that a drop reads the same as in {@code perf trace -e skb:kfree_skb}; the numbers are
 * flowgate's own (Linux renumbers its enum between releases). The IP stages use 1..31; the hook chain 32..47
 * and defragmentation 48..63.
 */
public final class IpDropReason
{
    /** Not dropped. */
    public static final int NONE = 0;
    /** The IPv4/IPv6 header is invalid: too short, wrong version, bad lengths, forbidden addresses. */
    public static final int IP_INHDR = 1;
    /** The frame holds less than the IP header says the datagram is. */
    public static final int PKT_TOO_SMALL = 2;
    /** The IPv4 header checksum is wrong. */
    public static final int IP_CSUM = 3;
    /** The IPv6 version field is not 6. */
    public static final int UNHANDLED_PROTO = 4;
    /** Martian source address: multicast, limited broadcast or 0.0.0.0/8 (ip_route_input_slow). */
    public static final int IP_INVALID_SOURCE = 5;
    /** Loopback source or destination arriving on a device without route_localnet. */
    public static final int IP_LOCALNET = 6;
    /** Martian destination address: 0.0.0.0/8. */
    public static final int IP_INVALID_DEST = 7;
    /**
     * TTL or hop limit ran out while forwarding. Linux drops these with IP_INHDR after sending ICMP Time
     * Exceeded; the distinct code tells the worker's tail to hand the packet to the slow path for that ICMP.
     */
    public static final int TIME_EXCEEDED = 8;
    /**
     * Larger than the next hop's MTU with Don't Fragment set: the slow path answers ICMP Fragmentation
     * Needed (Linux {@code SKB_DROP_REASON_PKT_TOO_BIG}).
     */
    public static final int PKT_TOO_BIG = 9;

    private IpDropReason()
    {
    }
}
