package io.flowgate.conntrack;

/**
 * A copy of one connection for the control plane (listing, {@code ct get}, events): plain fields, taken
 * under the record's seqlock so it is never torn. Allocated and filled off the data path only.
 * Addresses: IPv4 in the low 32 bits of the {@code *Lo} field; IPv6 high/low longs. Ports as in {@link CtKey}.
 */
public final class CtEntry
{
    /** The worker whose table holds the entry (conntrack-tools' {@code cpu} has no per-entry twin; listing shows it with {@code -o id}). */
    public int worker;
    /** Record index in the worker's table. */
    public int index;
    /** Incarnation of the record slot, so that a reused slot is a different id. */
    public int generation;
    public int family;
    public int protocol;
    public int zone;
    public int status;
    public int mark;
    /** Seconds until the entry expires (as {@code conntrack -L} prints), 0 when it has. */
    public long timeoutSeconds;
    /** TCP state ({@link io.flowgate.conntrack.tcp.TcpState}), -1 for other protocols. */
    public int tcpState = -1;
    public long startSeconds;
    /** [direction] original 0, reply 1. */
    public final long[] srcHi = new long[2];
    public final long[] srcLo = new long[2];
    public final long[] dstHi = new long[2];
    public final long[] dstLo = new long[2];
    public final int[] srcPort = new int[2];
    public final int[] dstPort = new int[2];
    public final long[] packets = new long[2];
    public final long[] bytes = new long[2];

    /** The conntrack id ({@code id=} of {@code conntrack -L -o id}): worker, slot and incarnation folded to 32 bits. */
    public long id()
    {
        return ((long)worker << 28 ^ (long)index ^ (long)generation << 20) & 0xFFFF_FFFFL;
    }

    public CtEntry copyFrom(final CtEntry other)
    {
        worker = other.worker;
        index = other.index;
        generation = other.generation;
        family = other.family;
        protocol = other.protocol;
        zone = other.zone;
        status = other.status;
        mark = other.mark;
        timeoutSeconds = other.timeoutSeconds;
        tcpState = other.tcpState;
        startSeconds = other.startSeconds;
        for (int d = 0; d < 2; d++)
        {
            srcHi[d] = other.srcHi[d];
            srcLo[d] = other.srcLo[d];
            dstHi[d] = other.dstHi[d];
            dstLo[d] = other.dstLo[d];
            srcPort[d] = other.srcPort[d];
            dstPort[d] = other.dstPort[d];
            packets[d] = other.packets[d];
            bytes[d] = other.bytes[d];
        }
        return this;
    }
}
