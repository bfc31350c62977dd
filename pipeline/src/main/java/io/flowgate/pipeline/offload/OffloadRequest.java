package io.flowgate.pipeline.offload;

import io.flowgate.conntrack.OffHeap;

/**
 * A slot of a worker's request ring to the offload agent (worker to agent): offload one direction of a connection
 * ({@link #INSERT}) or take it out of the fast path ({@link #REMOVE}, only type and cookie are meaningful).
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *  0|  type (INSERT | REMOVE)                                        |
 *  4|  ingress flowgate port id                                      |
 *  8|  cookie (64: worker, generation, direction, entry; see Cookie) |
 *   +---------------------------------------------------------------+
 * 16|  egress flowgate port id                                       |
 * 20|  egress MTU                                                    |
 * 24|  family (4|6) |   protocol    | flags SNAT|DNAT |     0        |
 * 28|  src port (as received)      |  dst port (as received)         |
 * 32|  src address hi, lo (as received; IPv4 in the low 32 bits of lo)|
 * 48|  dst address hi, lo (as received)                              |
 * 64|  src address hi, lo (as sent)                                  |
 * 80|  dst address hi, lo (as sent)                                  |
 * 96|  src port (as sent)          |  dst port (as sent)             |
 *100|  0                                                             |
 *104|  next hop's MAC (low 48 bits, first byte most significant)      |
 *112|  egress port's MAC (same form)                                 |
 *120|  0                                                             |
 *   +---------------------------------------------------------------+
 * </pre>
 * Ports are numbers (80 is 80), addresses as {@code CtKey} holds them.
 */
public final class OffloadRequest
{
    public static final int SIZE = 128;

    public static final int INSERT = 1;
    public static final int REMOVE = 2;

    /** Flag: the source is rewritten (flowgate_xdp.h FG_FLOW_SNAT). */
    public static final int SNAT = 0x01;
    /** Flag: the destination is rewritten (FG_FLOW_DNAT). */
    public static final int DNAT = 0x02;

    public static final int TYPE_OFFSET = 0;
    public static final int INGRESS_OFFSET = 4;
    public static final int COOKIE_OFFSET = 8;
    public static final int EGRESS_OFFSET = 16;
    public static final int MTU_OFFSET = 20;
    public static final int FAMILY_OFFSET = 24;
    public static final int PROTOCOL_OFFSET = 25;
    public static final int FLAGS_OFFSET = 26;
    public static final int SRC_PORT_OFFSET = 28;
    public static final int DST_PORT_OFFSET = 30;
    public static final int SRC_HI_OFFSET = 32;
    public static final int SRC_LO_OFFSET = 40;
    public static final int DST_HI_OFFSET = 48;
    public static final int DST_LO_OFFSET = 56;
    public static final int NEW_SRC_HI_OFFSET = 64;
    public static final int NEW_SRC_LO_OFFSET = 72;
    public static final int NEW_DST_HI_OFFSET = 80;
    public static final int NEW_DST_LO_OFFSET = 88;
    public static final int NEW_SRC_PORT_OFFSET = 96;
    public static final int NEW_DST_PORT_OFFSET = 98;
    public static final int DST_MAC_OFFSET = 104;
    public static final int SRC_MAC_OFFSET = 112;

    private OffloadRequest()
    {
    }

    public static int type(final long slot)
    {
        return OffHeap.getInt(slot + TYPE_OFFSET);
    }

    public static long cookie(final long slot)
    {
        return OffHeap.getLong(slot + COOKIE_OFFSET);
    }

    public static int ingress(final long slot)
    {
        return OffHeap.getInt(slot + INGRESS_OFFSET);
    }

    public static int egress(final long slot)
    {
        return OffHeap.getInt(slot + EGRESS_OFFSET);
    }

    public static int mtu(final long slot)
    {
        return OffHeap.getInt(slot + MTU_OFFSET);
    }

    public static int family(final long slot)
    {
        return OffHeap.getUnsignedByte(slot + FAMILY_OFFSET);
    }

    public static int protocol(final long slot)
    {
        return OffHeap.getUnsignedByte(slot + PROTOCOL_OFFSET);
    }

    public static int flags(final long slot)
    {
        return OffHeap.getUnsignedByte(slot + FLAGS_OFFSET);
    }

    public static int port(final long slot, final int offset)
    {
        return OffHeap.getUnsignedShort(slot + offset);
    }

    public static long address(final long slot, final int offset)
    {
        return OffHeap.getLong(slot + offset);
    }
}
