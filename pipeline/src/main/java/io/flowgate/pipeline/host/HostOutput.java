package io.flowgate.pipeline.host;

/**
 * How the {@link HostStack} sends, implemented by the slow path (called on its thread only). The stack writes
 * a whole IP packet into an mbuf from {@link #allocate()}, at {@link #IP_OFFSET} (room for an Ethernet header
 * is left in front); {@link #send} routes it like Linux's {@code ip_route_output} + {@code ip_finish_output2}:
 * LPM lookup of the destination, next hop, source MAC of the egress port, neighbour lookup (or resolution with
 * the packet queued), then OUTPUT and POSTROUTING on worker 0 and out of the egress port. Every mbuf given to
 * {@code send} is sent or freed exactly once by the slow path.
 */
public interface HostOutput
{
    /** Where the IP header starts in an mbuf from {@link #allocate()} (an untagged Ethernet header in front). */
    int IP_OFFSET = 14;

    /** {@link #route4}/{@link #route6}: no route to the destination. */
    int NO_ROUTE = -1;

    /** A fresh mbuf from the router's pool with its data at the Ethernet header, or 0 when the pool is empty. */
    long allocate();

    /** The room an mbuf from {@link #allocate()} has for an IP packet (bytes from {@link #IP_OFFSET}). */
    int maxIpLength();

    /**
     * Sends the IP packet (IPv4 or IPv6, complete with its checksums) written at {@link #IP_OFFSET} of
     * {@code mbuf}, whose length ({@code Mbuf.length}) covers the Ethernet header room and the packet. The mbuf
     * is the slow path's from here on: it is transmitted or, when there is no route or the rings are full,
     * freed and counted.
     */
    void send(long mbuf, long nowNs);

    /**
     * The egress for an IPv4 destination: the egress port id in the low 16 bits and its MTU in the next 16, or
     * {@link #NO_ROUTE}. With {@link #sourceAddress4} it is what {@code connect} needs.
     */
    int route4(int destination);

    /** {@link #route4} for IPv6 (address as two halves, big-endian as read from the packet). */
    int route6(long destinationHi, long destinationLo);

    /** The address the box sends from on {@code port} (its primary IPv4 address), 0 when it has none. */
    int sourceAddress4(int port);

    /** The IPv6 source for a destination out of {@code port} (its global address, link-local towards link-local); hi half. */
    long sourceAddress6Hi(int port, long destinationHi);

    /** See {@link #sourceAddress6Hi}; low half. Both 0 when the port has no usable IPv6 address. */
    long sourceAddress6Lo(int port, long destinationHi);

    /** True when {@code address} is one of the box's IPv4 addresses (a socket may bind only to those or to any). */
    boolean isLocal4(int address);

    /** True when the IPv6 address is one of the box's unicast addresses. */
    boolean isLocal6(long hi, long lo);
}
