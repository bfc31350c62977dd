package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;

/**
 * Ethernet II header (DIX framing, IEEE 802.3 clause 3.2.6 Length/Type as a type), viewed in place.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |             Destination MAC Address (bytes 0..5)              |
 *      +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |                               |                               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *    8 |                Source MAC Address (bytes 6..11)               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12 |           EtherType           |  payload, or the TCI of a VLAN tag
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  when EtherType is 0x8100 or 0x88A8
 * </pre>
 * A MAC address travels as a {@code long} holding the 48 address bits in its low bits, the first byte on the
 * wire most significant: {@code 00:11:22:33:44:55} is {@code 0x0000_0011_2233_4455L}.
 * <p>
 * The frame in memory ends before the FCS: DPDK strips it on receive and the NIC appends it on transmit.
 */
public final class EthernetFlyweight
{
    public static final int DST_MAC_OFFSET = 0;
    public static final int SRC_MAC_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;

    public static final int MAC_LENGTH = 6;
    public static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    public static final long BROADCAST_MAC = MAC_MASK;

    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;
    /** IEEE 802.1Q customer VLAN tag. */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    /** IEEE 802.1ad service VLAN tag (QinQ outer tag). */
    public static final int ETHER_TYPE_QINQ = 0x88A8;

    /** Tags {@link #payloadOffset(long)} skips at most: an 802.1ad outer and an 802.1Q inner tag. */
    public static final int MAX_VLAN_TAGS = 2;

    private long address;

    public EthernetFlyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public long dstMac()
    {
        return getMac(address + DST_MAC_OFFSET);
    }

    public EthernetFlyweight dstMac(final long mac)
    {
        putMac(address + DST_MAC_OFFSET, mac);
        return this;
    }

    public long srcMac()
    {
        return getMac(address + SRC_MAC_OFFSET);
    }

    public EthernetFlyweight srcMac(final long mac)
    {
        putMac(address + SRC_MAC_OFFSET, mac);
        return this;
    }

    /** The EtherType of the outermost header: a VLAN TPID when the frame is tagged. */
    public int etherType()
    {
        return Memory.getShortBE(address + ETHER_TYPE_OFFSET);
    }

    public EthernetFlyweight etherType(final int etherType)
    {
        Memory.putShortBE(address + ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    /** Address of the header after this one, VLAN tags not skipped. */
    public long payloadAddress()
    {
        return address + HEADER_LENGTH;
    }

    // ------------------------------------------------------------------------------------------------------

    public static int getEtherType(final long frameAddress)
    {
        return Memory.getShortBE(frameAddress + ETHER_TYPE_OFFSET);
    }

    public static long getDstMac(final long frameAddress)
    {
        return getMac(frameAddress + DST_MAC_OFFSET);
    }

    public static void putDstMac(final long frameAddress, final long mac)
    {
        putMac(frameAddress + DST_MAC_OFFSET, mac);
    }

    public static long getSrcMac(final long frameAddress)
    {
        return getMac(frameAddress + SRC_MAC_OFFSET);
    }

    public static void putSrcMac(final long frameAddress, final long mac)
    {
        putMac(frameAddress + SRC_MAC_OFFSET, mac);
    }

    /** The 6-byte MAC address at {@code address}, in the low 48 bits. */
    public static long getMac(final long address)
    {
        return ((long)Memory.getShortBE(address) << 32) | (Memory.getIntBE(address + 2) & 0xFFFF_FFFFL);
    }

    /** Writes the low 48 bits of {@code mac} as a 6-byte MAC address at {@code address}. */
    public static void putMac(final long address, final long mac)
    {
        Memory.putShortBE(address, (int)(mac >>> 32));
        Memory.putIntBE(address + 2, (int)mac);
    }

    public static boolean isVlanEtherType(final int etherType)
    {
        return etherType == ETHER_TYPE_VLAN || etherType == ETHER_TYPE_QINQ;
    }

    /**
     * Offset from the frame start of the header the frame carries, past up to {@link #MAX_VLAN_TAGS} VLAN
     * tags: 14 untagged, 18 with one tag, 22 with two. Reads at most the first 22 bytes of the frame.
     */
    public static int payloadOffset(final long frameAddress)
    {
        int typeOffset = ETHER_TYPE_OFFSET;
        for (int tags = 0; tags < MAX_VLAN_TAGS && isVlanEtherType(Memory.getShortBE(frameAddress + typeOffset)); tags++)
        {
            typeOffset += VlanFlyweight.HEADER_LENGTH;
        }
        return typeOffset + 2;
    }

    /**
     * EtherType of the header at {@link #payloadOffset(long)}; still a VLAN TPID when the frame carries more
     * than {@link #MAX_VLAN_TAGS} tags.
     */
    public static int payloadEtherType(final long frameAddress)
    {
        return Memory.getShortBE(frameAddress + payloadOffset(frameAddress) - 2);
    }

    /** Control path: {@code 0x001122334455L} as {@code "00:11:22:33:44:55"}. Allocates. */
    public static String macToString(final long mac)
    {
        final StringBuilder builder = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            builder.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0)
            {
                builder.append(':');
            }
        }
        return builder.toString();
    }

    /** Control path: parses {@code "00:11:22:33:44:55"} (or with {@code '-'}); throws on anything else. */
    public static long parseMac(final String text)
    {
        if (text.length() != 17)
        {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (int i = 0; i < MAC_LENGTH; i++)
        {
            final int at = i * 3;
            final int high = Character.digit(text.charAt(at), 16);
            final int low = Character.digit(text.charAt(at + 1), 16);
            final boolean separatorOk = i == MAC_LENGTH - 1 || text.charAt(at + 2) == ':' || text.charAt(at + 2) == '-';
            if (high < 0 || low < 0 || !separatorOk)
            {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            mac = (mac << 8) | (high << 4) | low;
        }
        return mac;
    }
}
