package io.flowgate.conntrack;

/**
 * The facts conntrack needs about one packet, filled by the data path's parser (which knows the headers);
 * one instance per worker, overwritten per packet. The module itself never parses an IP header: it reads
 * the L4 header at {@link #l4} where a tracker needs more (TCP flags, sequence numbers, options).
 * <p>
 * {@link #key} is the packet's tuple as it travels (source first). For an ICMP or ICMPv6 error,
 * {@link #inner} is the tuple of the packet embedded in it, as that packet travelled.
 */
public final class CtPacket
{
    /** Parser verdicts: {@link #status}. */
    public static final int OK = 0;
    /** No tuple could be taken (L4 header too short for ports or an ICMP header, non-first fragment): Linux's "can't get tuple", counted invalid. */
    public static final int NO_TUPLE = 1;
    /** The L4 checksum is wrong (checked at PREROUTING as nf_conntrack_checksum=1): invalid. */
    public static final int BAD_CHECKSUM = 2;
    /** An ICMP error whose embedded packet could not be parsed (truncated, fragment, bogus header). */
    public static final int BAD_INNER = 3;
    /** A protocol conntrack does not track (for example ICMPv6 neighbour discovery): untracked, as Linux. */
    public static final int UNTRACKED = 4;

    public final CtKey key = new CtKey();
    public final CtKey inner = new CtKey();
    public int status;
    /** Bytes counted for the packet: the IP datagram length (Linux counts skb->len at the network layer). */
    public int l3Length;
    /** Absolute address of the L4 header. */
    public long l4;
    /** Bytes from the L4 header to the end of the IP payload. */
    public int l4Length;
    /** ICMP/ICMPv6 type and code of the outer packet, -1 for other protocols. */
    public int icmpType;
    public int icmpCode;
    /** Whether this is an ICMP or ICMPv6 error carrying {@link #inner}. */
    public boolean icmpError;
    /** The outer packet's destination (low 64 bits; IPv4 in the low 32), for the RELATED address check. */
    public long outerDstHi;
    public long outerDstLo;
}
