package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;

/**
 * The fixed IPv6 header (RFC 8200 3), viewed in place. Extension headers, when Next Header names one,
 * follow at {@link #HEADER_LENGTH}.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |Version| Traffic Class |              Flow Label               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |         Payload Length        |  Next Header  |   Hop Limit   |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |                                                               |
 *      +                                                               +
 *      |                                                               |
 *      +                    Source Address (16 bytes)                  +
 *      |                                                               |
 *      +                                                               +
 *      |                                                               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   24 |                                                               |
 *      +                                                               +
 *      |                                                               |
 *      +                 Destination Address (16 bytes)                +
 *      |                                                               |
 *      +                                                               +
 *      |                                                               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  Traffic Class is DSCP (6 bits) and ECN (2 bits), as in IPv4.
 * </pre>
 * An address travels as two {@code long}s, {@code hi} the first 8 bytes on the wire and {@code lo} the last
 * 8, each most significant byte first: 2001:db8::1 is hi {@code 0x20010DB800000000L}, lo {@code 1L}.
 */
public final class Ipv6Flyweight
{
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SRC_ADDRESS_OFFSET = 8;
    public static final int DST_ADDRESS_OFFSET = 24;
    public static final int HEADER_LENGTH = 40;

    public static final int ADDRESS_LENGTH = 16;
    public static final int VERSION = 6;
    public static final int FLOW_LABEL_MASK = 0xFFFFF;

    private static final int TRAFFIC_CLASS_SHIFT = 20;

    private long address;

    public Ipv6Flyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    /** The first 32-bit word: version, traffic class and flow label. */
    public int versionClassFlow()
    {
        return Memory.getIntBE(address + VERSION_CLASS_FLOW_OFFSET);
    }

    public Ipv6Flyweight versionClassFlow(final int word)
    {
        Memory.putIntBE(address + VERSION_CLASS_FLOW_OFFSET, word);
        return this;
    }

    public int version()
    {
        return versionClassFlow() >>> 28;
    }

    public Ipv6Flyweight version(final int version)
    {
        return versionClassFlow((versionClassFlow() & 0x0FFF_FFFF) | (version << 28));
    }

    public int trafficClass()
    {
        return (versionClassFlow() >>> TRAFFIC_CLASS_SHIFT) & 0xFF;
    }

    public Ipv6Flyweight trafficClass(final int trafficClass)
    {
        final int word = versionClassFlow();
        return versionClassFlow((word & ~(0xFF << TRAFFIC_CLASS_SHIFT)) | ((trafficClass & 0xFF) << TRAFFIC_CLASS_SHIFT));
    }

    public int dscp()
    {
        return trafficClass() >>> 2;
    }

    public Ipv6Flyweight dscp(final int dscp)
    {
        return trafficClass((dscp << 2) | (trafficClass() & 0x03));
    }

    public int ecn()
    {
        return trafficClass() & 0x03;
    }

    public Ipv6Flyweight ecn(final int ecn)
    {
        return trafficClass((trafficClass() & 0xFC) | (ecn & 0x03));
    }

    /** Flow label, 20 bits. */
    public int flowLabel()
    {
        return versionClassFlow() & FLOW_LABEL_MASK;
    }

    public Ipv6Flyweight flowLabel(final int flowLabel)
    {
        return versionClassFlow((versionClassFlow() & ~FLOW_LABEL_MASK) | (flowLabel & FLOW_LABEL_MASK));
    }

    /** Bytes after this fixed header, extension headers included (0 with a Jumbo Payload option). */
    public int payloadLength()
    {
        return Memory.getShortBE(address + PAYLOAD_LENGTH_OFFSET);
    }

    public Ipv6Flyweight payloadLength(final int payloadLength)
    {
        Memory.putShortBE(address + PAYLOAD_LENGTH_OFFSET, payloadLength);
        return this;
    }

    public int nextHeader()
    {
        return Memory.getUnsignedByte(address + NEXT_HEADER_OFFSET);
    }

    public Ipv6Flyweight nextHeader(final int nextHeader)
    {
        Memory.putByte(address + NEXT_HEADER_OFFSET, (byte)nextHeader);
        return this;
    }

    public int hopLimit()
    {
        return Memory.getUnsignedByte(address + HOP_LIMIT_OFFSET);
    }

    public Ipv6Flyweight hopLimit(final int hopLimit)
    {
        Memory.putByte(address + HOP_LIMIT_OFFSET, (byte)hopLimit);
        return this;
    }

    /**
     * Decrements the hop limit, which no checksum covers; a hop limit of 0 is left alone (a router discards
     * packets arriving with 0 or 1 and answers ICMPv6 Time Exceeded, RFC 8200 3, RFC 4443 3.3).
     *
     * @return the hop limit now in the header.
     */
    public int decrementHopLimit()
    {
        return decrementHopLimit(address);
    }

    /** Decrements the hop limit of the IPv6 header at {@code address} (no checksum covers it); 0 is left alone. */
    public static int decrementHopLimit(final long address)
    {
        final long hopLimitAddress = address + HOP_LIMIT_OFFSET;
        final int hopLimit = Memory.getUnsignedByte(hopLimitAddress);
        if (hopLimit == 0)
        {
            return 0;
        }
        Memory.putByte(hopLimitAddress, (byte)(hopLimit - 1));
        return hopLimit - 1;
    }

    public long srcAddressHi()
    {
        return Memory.getLongBE(address + SRC_ADDRESS_OFFSET);
    }

    public long srcAddressLo()
    {
        return Memory.getLongBE(address + SRC_ADDRESS_OFFSET + 8);
    }

    public Ipv6Flyweight srcAddress(final long hi, final long lo)
    {
        Memory.putLongBE(address + SRC_ADDRESS_OFFSET, hi);
        Memory.putLongBE(address + SRC_ADDRESS_OFFSET + 8, lo);
        return this;
    }

    /** Byte {@code index} (0..15) of the source address, in wire order. */
    public int srcAddressByte(final int index)
    {
        return Memory.getUnsignedByte(address + SRC_ADDRESS_OFFSET + index);
    }

    public Ipv6Flyweight srcAddressByte(final int index, final int value)
    {
        Memory.putByte(address + SRC_ADDRESS_OFFSET + index, (byte)value);
        return this;
    }

    public long dstAddressHi()
    {
        return Memory.getLongBE(address + DST_ADDRESS_OFFSET);
    }

    public long dstAddressLo()
    {
        return Memory.getLongBE(address + DST_ADDRESS_OFFSET + 8);
    }

    public Ipv6Flyweight dstAddress(final long hi, final long lo)
    {
        Memory.putLongBE(address + DST_ADDRESS_OFFSET, hi);
        Memory.putLongBE(address + DST_ADDRESS_OFFSET + 8, lo);
        return this;
    }

    /** Byte {@code index} (0..15) of the destination address, in wire order. */
    public int dstAddressByte(final int index)
    {
        return Memory.getUnsignedByte(address + DST_ADDRESS_OFFSET + index);
    }

    public Ipv6Flyweight dstAddressByte(final int index, final int value)
    {
        Memory.putByte(address + DST_ADDRESS_OFFSET + index, (byte)value);
        return this;
    }

    /** Address of the header after the fixed header: an extension header or the upper layer. */
    public long payloadAddress()
    {
        return address + HEADER_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------

    /**
     * Whether a well-formed fixed IPv6 header starts at {@code address} with {@code available} bytes there:
     * version 6 and the stated payload within {@code available} (which may exceed it by Ethernet padding).
     * A zero payload length (Jumbo Payload, RFC 2675) is not accepted.
     */
    public static boolean isWellFormed(final long address, final int available)
    {
        if (available < HEADER_LENGTH)
        {
            return false;
        }
        final int payloadLength = Memory.getShortBE(address + PAYLOAD_LENGTH_OFFSET);
        return (Memory.getUnsignedByte(address + VERSION_CLASS_FLOW_OFFSET) >>> 4) == VERSION &&
            payloadLength != 0 &&
            HEADER_LENGTH + payloadLength <= available;
    }

    public static int getPayloadLength(final long address)
    {
        return Memory.getShortBE(address + PAYLOAD_LENGTH_OFFSET);
    }

    public static int getNextHeader(final long address)
    {
        return Memory.getUnsignedByte(address + NEXT_HEADER_OFFSET);
    }

    public static int getHopLimit(final long address)
    {
        return Memory.getUnsignedByte(address + HOP_LIMIT_OFFSET);
    }

    public static long getSrcAddressHi(final long address)
    {
        return Memory.getLongBE(address + SRC_ADDRESS_OFFSET);
    }

    public static long getSrcAddressLo(final long address)
    {
        return Memory.getLongBE(address + SRC_ADDRESS_OFFSET + 8);
    }

    public static long getDstAddressHi(final long address)
    {
        return Memory.getLongBE(address + DST_ADDRESS_OFFSET);
    }

    public static long getDstAddressLo(final long address)
    {
        return Memory.getLongBE(address + DST_ADDRESS_OFFSET + 8);
    }

    /**
     * Linux's {@code ipv6_skip_exthdr} over the IPv6 packet at {@code ip} ({@code end} bytes of it present): walks
     * hop-by-hop (0), routing (43), fragment (44), destination options (60) and authentication (51) headers, at
     * most 8. Returns the upper layer's protocol ({@link #upperLayerProtocol}) and the offset of its header from
     * {@code ip} ({@link #upperLayerOffset}), -1 for a non-first fragment (its protocol is then the fragment
     * header's next header) or for headers that run past {@code end} (its protocol is then the header that did).
     * One long, so that the per-packet callers allocate nothing.
     */
    public static long skipExtensionHeaders(final long ip, final int end)
    {
        int nh = getNextHeader(ip);
        int offset = HEADER_LENGTH;
        for (int headers = 0; headers < 8; headers++)
        {
            if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
            {
                break;
            }
            if (offset + 8 > end)
            {
                return upperLayer(nh, -1);
            }
            final int next = Memory.getUnsignedByte(ip + offset);
            final int length;
            if (nh == 44)
            {
                if ((Memory.getShortBE(ip + offset + 2) & 0xFFF8) != 0)
                {
                    return upperLayer(next, -1); // not the first fragment: no upper-layer header here
                }
                length = 8;
            }
            else if (nh == 51)
            {
                length = (Memory.getUnsignedByte(ip + offset + 1) + 2) << 2;
            }
            else
            {
                length = (Memory.getUnsignedByte(ip + offset + 1) + 1) << 3;
            }
            nh = next;
            offset += length;
        }
        return upperLayer(nh, offset <= end ? offset : -1);
    }

    private static long upperLayer(final int protocol, final int offset)
    {
        return (long)protocol << 32 | (offset & 0xFFFF_FFFFL);
    }

    /** The upper-layer protocol of a {@link #skipExtensionHeaders} result. */
    public static int upperLayerProtocol(final long skipped)
    {
        return (int)(skipped >>> 32);
    }

    /** The upper-layer header's offset from the IPv6 header of a {@link #skipExtensionHeaders} result, -1 when none. */
    public static int upperLayerOffset(final long skipped)
    {
        return (int)skipped;
    }
}
