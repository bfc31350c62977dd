package io.flowgate.pipeline.router;

import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;

/**
 * Packets a worker hands to the slow path, with why ({@link #reason}) and what the slow path needs to act
 * (the port the packet came in on or is to leave by, and an argument such as a gateway address or an MTU).
 * Circulates preallocated in a {@code BurstRing}.
 */
public final class SlowPathBurst
{
    /** An ARP frame: for the neighbour state machine. */
    public static final int ARP = 1;
    /** An IPv4 packet for one of the box's addresses. */
    public static final int LOCAL = 2;
    /** No route: ICMP destination (net) unreachable. */
    public static final int NO_ROUTE = 3;
    /** TTL ran out: ICMP time exceeded. */
    public static final int TIME_EXCEEDED = 4;
    /** Larger than the egress MTU with DF set: ICMP fragmentation needed; {@code argument} is the MTU. */
    public static final int FRAGMENTATION_NEEDED = 5;
    /**
     * Larger than the egress MTU, DF clear, or reassembled here: fragment; {@code argument} is
     * {@link #fragmentArgument} (the MTU, and for a reassembled datagram its largest fragment's size),
     * {@code port} the egress, {@code nextHop} the next hop's address.
     */
    public static final int FRAGMENT = 6;
    /** The next hop's MAC is unknown: resolve; {@code argument} is the next-hop address, {@code port} the egress. */
    public static final int RESOLVE = 7;
    /** An IPv6 packet for the box: one of its addresses, or a group it listens to (ND, echo). */
    public static final int LOCAL6 = 8;
    /** No IPv6 route: ICMPv6 destination unreachable, no route to destination (code 0). */
    public static final int NO_ROUTE6 = 9;
    /** The hop limit ran out: ICMPv6 time exceeded, hop limit exceeded in transit (code 0). */
    public static final int TIME_EXCEEDED6 = 10;
    /** Larger than the egress MTU (IPv6 routers never fragment): ICMPv6 packet too big; {@code argument} is the MTU. */
    public static final int PACKET_TOO_BIG6 = 11;
    /**
     * The IPv6 next hop's MAC is unknown: resolve with neighbour discovery; the next hop is in
     * {@link #addressHi}/{@link #addressLo}, {@code port} is the egress.
     */
    public static final int RESOLVE6 = 12;
    /** A link-local source may not leave its link: ICMPv6 destination unreachable, beyond scope (code 2). */
    public static final int BEYOND_SCOPE6 = 13;
    /** On the transmit ring (slow path to worker 0): an IP packet the box itself originates, for OUTPUT and POSTROUTING. */
    public static final int LOCAL_OUT = 14;
    /**
     * The rule engine rejected it ({@code reject}): send what {@code argument} says ({@code rules.RejectCodes}: ICMP or
     * ICMPv6 destination unreachable with its code, or a TCP reset) back out of {@code port}, the port it came in on.
     */
    public static final int REJECT = 15;

    public final MbufBurst mbufs;
    public final int[] reason;
    public final int[] port;
    public final int[] argument;
    /** An IPv6 address that goes with the reason ({@link #RESOLVE6}: the next hop), high and low halves. */
    public final long[] addressHi;
    public final long[] addressLo;
    /** The IPv4 next hop (gateway, or the destination on a connected network) where the reason needs it, else 0. */
    public final int[] nextHop;

    public SlowPathBurst(final Arena arena, final int capacity)
    {
        this.mbufs = new MbufBurst(arena, capacity);
        this.reason = new int[capacity];
        this.port = new int[capacity];
        this.argument = new int[capacity];
        this.addressHi = new long[capacity];
        this.addressLo = new long[capacity];
        this.nextHop = new int[capacity];
    }

    /** {@link #FRAGMENT}'s argument: the egress MTU and the largest fragment's size (0: not reassembled). */
    public static int fragmentArgument(final int mtu, final int maxFragmentSize)
    {
        return (maxFragmentSize << 16) | (mtu & 0xFFFF);
    }

    public static int fragmentMtu(final int argument)
    {
        return argument & 0xFFFF;
    }

    public static int fragmentMaxSize(final int argument)
    {
        return argument >>> 16;
    }

    /** Appends a packet; false when the burst is full. */
    public boolean add(final long mbuf, final int why, final int portId, final int arg)
    {
        return add(mbuf, why, portId, arg, 0);
    }

    /** Appends a packet with its next hop; false when the burst is full. */
    public boolean add(final long mbuf, final int why, final int portId, final int arg, final int nextHopAddress)
    {
        final int n = mbufs.count();
        if (n == mbufs.capacity())
        {
            return false;
        }
        mbufs.mbuf(n, mbuf);
        reason[n] = why;
        port[n] = portId;
        argument[n] = arg;
        nextHop[n] = nextHopAddress;
        mbufs.count(n + 1);
        return true;
    }

    /** Appends a packet with an IPv6 address as its argument; false when the burst is full. */
    public boolean add6(final long mbuf, final int why, final int portId, final long hi, final long lo)
    {
        final int n = mbufs.count();
        if (!add(mbuf, why, portId, 0))
        {
            return false;
        }
        addressHi[n] = hi;
        addressLo[n] = lo;
        return true;
    }

    public int count()
    {
        return mbufs.count();
    }
}
