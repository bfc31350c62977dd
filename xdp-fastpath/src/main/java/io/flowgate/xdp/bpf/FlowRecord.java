package io.flowgate.xdp.bpf;

/**
 * One direction of an offloaded connection: the key ({@code struct fg_flow_key}) and the action with its
 * counters ({@code struct fg_flow_action}) of flowgate_xdp.h. A mutable holder the control plane reuses.
 * Addresses: IPv4 in the low 32 bits of {@code *Lo} with {@code *Hi} zero; IPv6 as two big-endian halves.
 * Ports are host-order values (0..65535); {@link FlowTable} converts to network order.
 */
public final class FlowRecord
{
    /** FG_FLOW_SNAT: the source address/port is rewritten to {@code newSrc*}/{@code newSrcPort}. */
    public static final int SNAT = 0x01;
    /** FG_FLOW_DNAT: the destination address/port is rewritten to {@code newDst*}/{@code newDstPort}. */
    public static final int DNAT = 0x02;

    // key
    public int ifindex;
    public int family;
    public int protocol;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    public int srcPort;
    public int dstPort;
    // action
    public long cookie;
    public int egress;
    public int mtu;
    public int flags;
    public long dstMac;
    public long srcMac;
    public long newSrcHi;
    public long newSrcLo;
    public long newDstHi;
    public long newDstLo;
    public int newSrcPort;
    public int newDstPort;
    // counters (read back)
    public long packets;
    public long bytes;
    public long lastSeenNs;
}
