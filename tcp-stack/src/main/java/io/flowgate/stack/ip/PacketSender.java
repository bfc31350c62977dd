package io.flowgate.stack.ip;

/**
 * How a transport (TCP, UDP) sends: it asks for a packet buffer, writes its header and payload at
 * {@link #transport}, sets its checksum ({@link InetChecksum}) and calls {@link #send}, which writes the IP
 * header and hands the packet on. In the router the buffer is a DPDK mbuf and the IP layer
 * ({@link IpOutput}) sends it through the slow path; in tests it is plain memory and the "wire" is a test
 * harness that delivers to another stack, drops or reorders. Transports never see mbufs. Stack thread only.
 */
public interface PacketSender
{
    /** IPv4 header bytes the stack writes (no options). */
    int IPV4_HEADER = 20;
    /** IPv6 header bytes the stack writes (no extension headers). */
    int IPV6_HEADER = 40;

    /** A packet buffer with room for an IP header and up to {@link #maxTransportLength} transport bytes; 0 when none is free. */
    long allocate();

    /** Where the transport header of {@code packet} starts, for an IPv6 ({@code v6}) or IPv4 header in front. */
    long transport(long packet, boolean v6);

    /** The most transport bytes one packet can hold (the buffer's room, not the path MTU). */
    int maxTransportLength(boolean v6);

    /** Returns an unsent packet. */
    void free(long packet);

    /**
     * Writes the IP header in front of the transport bytes and sends the packet (then it is no longer the
     * caller's). IPv4 when both addresses are mapped ({@code InetAddr.isV4}): TTL 64, DF set when
     * {@code dontFragment}, a fresh identification; IPv6: hop limit 64, flow label 0. The transport checksum
     * must already be right.
     */
    void send(long packet, long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int transportLength,
              boolean dontFragment, long nowNs);

    /**
     * The MTU of the route to a destination (the egress port's MTU), or 0 when there is no route. The path MTU
     * that ICMP lowers is kept by the transport (per connection), not here.
     */
    int routeMtu(long dstHi, long dstLo);

    /**
     * The source address to use towards a destination (RFC 6724's simplest rule: the egress port's primary
     * address of the same family), written to {@code out[0]} (hi) and {@code out[1]} (lo); false when there is
     * no route or no address.
     */
    boolean sourceFor(long dstHi, long dstLo, long[] out);

    /** True when the address is one of the box's own (what a socket may bind to, besides any). */
    boolean isLocal(long hi, long lo);
}
