package io.flowgate.pipeline.neigh;

import io.flowgate.nativebindings.Memory;

/**
 * Neighbor Solicitation (RFC 4861 4.3) and Neighbor Advertisement (4.4) messages, viewed in place at the
 * ICMPv6 header, and the IPv6 multicast addresses neighbour discovery uses.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |     Type      |     Code      |           Checksum            |  135 NS, 136 NA; code 0
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |R|S|O|                    Reserved                             |  NA flags; NS: all reserved
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |                                                               |
 *      +                                                               +
 *      |                   Target Address (16 bytes)                   |
 *      +                                                               +
 *      |                                                               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   24 |     Type      |    Length     |  Options: type-length-value, the length in units of 8 bytes
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   Source/Target Link-Layer Address option (4.6.1) over Ethernet: 8 bytes
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |  Type (1, 2)  |  Length (1)   |     MAC address (6 bytes) ...
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Addresses are {@code hi}/{@code lo} pairs as in {@code Ipv6Flyweight}; MAC addresses as in
 * {@code EthernetFlyweight}.
 */
public final class NdFlyweight
{
    public static final int FLAGS_OFFSET = 4;
    public static final int TARGET_OFFSET = 8;
    public static final int OPTIONS_OFFSET = 24;
    /** NS and NA without options. */
    public static final int MESSAGE_LENGTH = 24;

    public static final int FLAG_ROUTER = 0x8000_0000;
    public static final int FLAG_SOLICITED = 0x4000_0000;
    public static final int FLAG_OVERRIDE = 0x2000_0000;

    public static final int OPTION_SOURCE_LINK_LAYER = 1;
    public static final int OPTION_TARGET_LINK_LAYER = 2;
    public static final int OPTION_UNIT = 8;
    public static final int LINK_LAYER_OPTION_LENGTH = 8;

    /** ND messages are sent, and must arrive, with hop limit 255 (RFC 4861 7.1). */
    public static final int HOP_LIMIT = 255;

    /** ff02::1, all nodes on the link. */
    public static final long ALL_NODES_HI = 0xFF02_0000_0000_0000L;
    public static final long ALL_NODES_LO = 1L;
    /** ff02::1:ff00:0/104, the solicited-node multicast prefix (RFC 4291 2.7.1), as hi and the top of lo. */
    public static final long SOLICITED_NODE_HI = 0xFF02_0000_0000_0000L;
    public static final long SOLICITED_NODE_LO_PREFIX = 0x0000_0001_FF00_0000L;
    private static final long SOLICITED_NODE_LO_MASK = 0xFFFF_FFFF_FF00_0000L;
    private static final long IPV6_MULTICAST_MAC_PREFIX = 0x3333_0000_0000L;

    private NdFlyweight()
    {
    }

    public static int getFlags(final long icmp)
    {
        return Memory.getIntBE(icmp + FLAGS_OFFSET);
    }

    public static void putFlags(final long icmp, final int flags)
    {
        Memory.putIntBE(icmp + FLAGS_OFFSET, flags);
    }

    public static long getTargetHi(final long icmp)
    {
        return Memory.getLongBE(icmp + TARGET_OFFSET);
    }

    public static long getTargetLo(final long icmp)
    {
        return Memory.getLongBE(icmp + TARGET_OFFSET + 8);
    }

    public static void putTarget(final long icmp, final long hi, final long lo)
    {
        Memory.putLongBE(icmp + TARGET_OFFSET, hi);
        Memory.putLongBE(icmp + TARGET_OFFSET + 8, lo);
    }

    /** Writes a Source (1) or Target (2) Link-Layer Address option for Ethernet at {@code option}. */
    public static void putLinkLayerOption(final long option, final int type, final long mac)
    {
        Memory.putByte(option, (byte)type);
        Memory.putByte(option + 1, (byte)(LINK_LAYER_OPTION_LENGTH / OPTION_UNIT));
        Memory.putShortBE(option + 2, (int)(mac >>> 32));
        Memory.putIntBE(option + 4, (int)mac);
    }

    public static boolean isMulticast(final long hi)
    {
        return (hi >>> 56) == 0xFF;
    }

    public static boolean isUnspecified(final long hi, final long lo)
    {
        return hi == 0L && lo == 0L;
    }

    /** Whether {@code hi:lo} is a solicited-node multicast address ff02::1:ffXX:XXXX. */
    public static boolean isSolicitedNode(final long hi, final long lo)
    {
        return hi == SOLICITED_NODE_HI && (lo & SOLICITED_NODE_LO_MASK) == SOLICITED_NODE_LO_PREFIX;
    }

    /** The low half of the solicited-node multicast address of an address whose low half is {@code lo}. */
    public static long solicitedNodeLo(final long lo)
    {
        return SOLICITED_NODE_LO_PREFIX | (lo & 0xFF_FFFFL);
    }

    /** The Ethernet address of the IPv6 multicast group whose low half is {@code lo}: 33:33 and its last 32 bits (RFC 2464 7). */
    public static long multicastMac(final long lo)
    {
        return IPV6_MULTICAST_MAC_PREFIX | (lo & 0xFFFF_FFFFL);
    }
}
