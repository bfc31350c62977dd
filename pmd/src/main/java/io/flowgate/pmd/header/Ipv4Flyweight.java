package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import java.nio.ByteOrder;

/**
 * An IPv4 header (RFC 791 3.1), viewed in place; options, when IHL is above 5, follow at
 * {@link #OPTIONS_OFFSET}.
 * <pre>
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |         Identification        |R|D|M|     Fragment Offset     |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |  Time to Live |    Protocol   |        Header Checksum        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12 |                       Source Address                          |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   16 |                    Destination Address                        |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   20 |                    Options (IHL * 4 - 20 bytes)               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  R: reserved (evil bit, RFC 3514), D: Don't Fragment, M: More Fragments.
 *  DSCP/ECN (RFC 2474, RFC 3168) replace the old Type of Service byte.
 * </pre>
 * Addresses are {@code int}s holding the address in network order: 192.0.2.1 is {@code 0xC0000201}.
 */
public final class Ipv4Flyweight
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int ID_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    /** ~m + m' of RFC 1624 eqn. 3 when the TTL/protocol word m loses 0x0100, in host byte order. */
    private static final int TTL_DECREMENT_ADJUSTMENT = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? 0xFEFF : 0xFFFE;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    public static final int SRC_ADDRESS_OFFSET = 12;
    public static final int DST_ADDRESS_OFFSET = 16;
    public static final int OPTIONS_OFFSET = 20;

    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int VERSION = 4;

    /** Bits of the 16-bit flags and fragment offset word. */
    public static final int FLAG_RESERVED = 0x8000;
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;
    /** MF and the fragment offset: any of them set makes a packet a fragment. */
    public static final int FRAGMENT_BITS = FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK;

    private long address;

    public Ipv4Flyweight wrap(final long address)
    {
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public int version()
    {
        return Memory.getUnsignedByte(address + VERSION_IHL_OFFSET) >>> 4;
    }

    public Ipv4Flyweight version(final int version)
    {
        final int versionIhl = Memory.getUnsignedByte(address + VERSION_IHL_OFFSET);
        Memory.putByte(address + VERSION_IHL_OFFSET, (byte)((version << 4) | (versionIhl & 0x0F)));
        return this;
    }

    /** Internet Header Length in 32-bit words, 5..15 in a valid header. */
    public int ihl()
    {
        return Memory.getUnsignedByte(address + VERSION_IHL_OFFSET) & 0x0F;
    }

    public Ipv4Flyweight ihl(final int ihl)
    {
        final int versionIhl = Memory.getUnsignedByte(address + VERSION_IHL_OFFSET);
        Memory.putByte(address + VERSION_IHL_OFFSET, (byte)((versionIhl & 0xF0) | (ihl & 0x0F)));
        return this;
    }

    /** Header length in bytes, options included: IHL * 4. */
    public int headerLength()
    {
        return getHeaderLength(address);
    }

    /** Sets IHL for a header of {@code headerLength} bytes (a multiple of 4). */
    public Ipv4Flyweight headerLength(final int headerLength)
    {
        return ihl(headerLength >>> 2);
    }

    public int optionsLength()
    {
        return getHeaderLength(address) - MIN_HEADER_LENGTH;
    }

    /** The whole DSCP/ECN byte, formerly Type of Service. */
    public int tos()
    {
        return Memory.getUnsignedByte(address + TOS_OFFSET);
    }

    public Ipv4Flyweight tos(final int tos)
    {
        Memory.putByte(address + TOS_OFFSET, (byte)tos);
        return this;
    }

    /** Differentiated Services Code Point, 0..63. */
    public int dscp()
    {
        return tos() >>> 2;
    }

    public Ipv4Flyweight dscp(final int dscp)
    {
        return tos((dscp << 2) | (tos() & 0x03));
    }

    /** Explicit Congestion Notification, 0..3 (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE). */
    public int ecn()
    {
        return tos() & 0x03;
    }

    public Ipv4Flyweight ecn(final int ecn)
    {
        return tos((tos() & 0xFC) | (ecn & 0x03));
    }

    public int totalLength()
    {
        return Memory.getShortBE(address + TOTAL_LENGTH_OFFSET);
    }

    public Ipv4Flyweight totalLength(final int totalLength)
    {
        Memory.putShortBE(address + TOTAL_LENGTH_OFFSET, totalLength);
        return this;
    }

    /** Bytes after the header: total length less header length. */
    public int payloadLength()
    {
        return totalLength() - headerLength();
    }

    public int id()
    {
        return Memory.getShortBE(address + ID_OFFSET);
    }

    public Ipv4Flyweight id(final int id)
    {
        Memory.putShortBE(address + ID_OFFSET, id);
        return this;
    }

    /** The 16-bit word of flags ({@code FLAG_*}) and fragment offset. */
    public int flagsAndFragmentOffset()
    {
        return Memory.getShortBE(address + FLAGS_FRAGMENT_OFFSET_OFFSET);
    }

    public Ipv4Flyweight flagsAndFragmentOffset(final int value)
    {
        Memory.putShortBE(address + FLAGS_FRAGMENT_OFFSET_OFFSET, value);
        return this;
    }

    /** The three flag bits, reserved/DF/MF, as 0..7 (DF alone is 2). */
    public int flags()
    {
        return flagsAndFragmentOffset() >>> 13;
    }

    public boolean dontFragment()
    {
        return (flagsAndFragmentOffset() & FLAG_DONT_FRAGMENT) != 0;
    }

    public Ipv4Flyweight dontFragment(final boolean dontFragment)
    {
        final int word = flagsAndFragmentOffset();
        return flagsAndFragmentOffset(dontFragment ? word | FLAG_DONT_FRAGMENT : word & ~FLAG_DONT_FRAGMENT);
    }

    public boolean moreFragments()
    {
        return (flagsAndFragmentOffset() & FLAG_MORE_FRAGMENTS) != 0;
    }

    public Ipv4Flyweight moreFragments(final boolean moreFragments)
    {
        final int word = flagsAndFragmentOffset();
        return flagsAndFragmentOffset(moreFragments ? word | FLAG_MORE_FRAGMENTS : word & ~FLAG_MORE_FRAGMENTS);
    }

    /** Fragment offset in units of 8 bytes, as on the wire. */
    public int fragmentOffset()
    {
        return flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK;
    }

    public Ipv4Flyweight fragmentOffset(final int fragmentOffset)
    {
        final int word = flagsAndFragmentOffset();
        return flagsAndFragmentOffset((word & ~FRAGMENT_OFFSET_MASK) | (fragmentOffset & FRAGMENT_OFFSET_MASK));
    }

    /** Whether this packet is a fragment: More Fragments set or a non-zero offset (Linux {@code ip_is_fragment}). */
    public boolean isFragment()
    {
        return isFragment(address);
    }

    public int ttl()
    {
        return Memory.getUnsignedByte(address + TTL_OFFSET);
    }

    /** Sets TTL without touching the checksum; see {@link #decrementTtl()} for forwarding. */
    public Ipv4Flyweight ttl(final int ttl)
    {
        Memory.putByte(address + TTL_OFFSET, (byte)ttl);
        return this;
    }

    public int protocol()
    {
        return Memory.getUnsignedByte(address + PROTOCOL_OFFSET);
    }

    public Ipv4Flyweight protocol(final int protocol)
    {
        Memory.putByte(address + PROTOCOL_OFFSET, (byte)protocol);
        return this;
    }

    public int checksum()
    {
        return Memory.getShortBE(address + CHECKSUM_OFFSET);
    }

    public Ipv4Flyweight checksum(final int checksum)
    {
        Memory.putShortBE(address + CHECKSUM_OFFSET, checksum);
        return this;
    }

    public int srcAddress()
    {
        return Memory.getIntBE(address + SRC_ADDRESS_OFFSET);
    }

    public Ipv4Flyweight srcAddress(final int srcAddress)
    {
        Memory.putIntBE(address + SRC_ADDRESS_OFFSET, srcAddress);
        return this;
    }

    public int dstAddress()
    {
        return Memory.getIntBE(address + DST_ADDRESS_OFFSET);
    }

    public Ipv4Flyweight dstAddress(final int dstAddress)
    {
        Memory.putIntBE(address + DST_ADDRESS_OFFSET, dstAddress);
        return this;
    }

    /** Address of the header that follows this one and its options. */
    public long payloadAddress()
    {
        return address + getHeaderLength(address);
    }

    /** The header checksum this header should carry, options included; the stored one is ignored. */
    public int computeHeaderChecksum()
    {
        return Checksum.checksumSkipping(address, getHeaderLength(address), CHECKSUM_OFFSET, 0);
    }

    /** Computes and stores the header checksum. */
    public Ipv4Flyweight updateHeaderChecksum()
    {
        return checksum(computeHeaderChecksum());
    }

    public boolean isHeaderChecksumValid()
    {
        return Checksum.sum(address, getHeaderLength(address)) == Checksum.VALID_SUM;
    }

    /**
     * Decrements TTL by one and updates the header checksum incrementally (RFC 1624 eqn. 3 over the
     * TTL/Protocol word, as RFC 1812 5.3.1 allows instead of a recomputation).
     * <p>
     * A router discards a packet that arrives with TTL 0 or 1 and answers ICMP Time Exceeded (RFC 1812
     * 5.3.1) before it decrements; this method only guards against wrapping: a TTL of 0 is left alone.
     *
     * @return the TTL now in the header.
     */
    public int decrementTtl()
    {
        return decrementTtl(address);
    }

    /**
     * A router's TTL step in one read and one write of the TTL/protocol/checksum word: a TTL of 0 or 1 is left
     * alone and answers false (the packet has expired: ICMP time exceeded, RFC 1812 5.3.1); otherwise the TTL
     * is decremented, the checksum adjusted as {@link #decrementTtl(long)} does, and the answer is true.
     * <p>
     * Measured 2026-11-23 (perf/profile-router): the expiry check and {@link #decrementTtl(long)} read the TTL
     * twice and the checksum once and wrote both apart; this is the same arithmetic on one 32-bit word.
     */
    public static boolean forwardTtl(final long address)
    {
        if (!LITTLE_ENDIAN)
        {
            if (Memory.getUnsignedByte(address + TTL_OFFSET) <= 1)
            {
                return false;
            }
            decrementTtl(address);
            return true;
        }
        final int word = Memory.getInt(address + TTL_OFFSET); // little endian: TTL, protocol, checksum (2 bytes)
        final int ttl = word & 0xFF;
        if (ttl <= 1)
        {
            return false;
        }
        final int sum = (~(word >>> 16) & 0xFFFF) + TTL_DECREMENT_ADJUSTMENT;
        final int checksum = ~((sum & 0xFFFF) + (sum >>> 16)) & 0xFFFF;
        Memory.putInt(address + TTL_OFFSET, (checksum << 16) | (word & 0xFF00) | (ttl - 1));
        return true;
    }

    /**
     * Decrements the TTL of the IPv4 header at {@code address} and updates its checksum incrementally (RFC 1624
     * eqn. 3 over the TTL/protocol word, as Linux {@code ip_decrease_ttl} does, RFC 1812 5.3.1). A TTL of 0 is
     * left alone; checking for expiry (TTL <= 1) is the forwarding stage's job.
     *
     * @return the TTL now in the header.
     */
    public static int decrementTtl(final long address)
    {
        final int ttl = Memory.getUnsignedByte(address + TTL_OFFSET);
        if (ttl == 0)
        {
            return 0;
        }
        Memory.putByte(address + TTL_OFFSET, (byte)(ttl - 1));
        // Eqn. 3, HC' = ~(~HC + ~m + m'), with m' = m - 0x0100: ~m + m' is 0xFEFF whatever m is, so the TTL/protocol
        // word need not be read. One's complement sums commute with byte swapping (RFC 1071 2.B): the checksum is
        // adjusted as it lies in memory, read and written in host order, with the constant in host order too.
        final long checksumAddress = address + CHECKSUM_OFFSET;
        final int sum = (~Memory.getShort(checksumAddress) & 0xFFFF) + TTL_DECREMENT_ADJUSTMENT;
        Memory.putShort(checksumAddress, (short)~((sum & 0xFFFF) + (sum >>> 16)));
        return ttl - 1;
    }

    // ------------------------------------------------------------------------------------------------------

    /**
     * Whether a well-formed IPv4 header starts at {@code address} with {@code available} bytes there:
     * version 4, IHL at least 5, header within {@code available}, total length at least the header and
     * within {@code available} (which may exceed it by Ethernet padding). The checks of Linux
     * {@code ip_rcv_core}, checksum aside.
     */
    public static boolean isWellFormed(final long address, final int available)
    {
        if (available < MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int versionIhl = Memory.getUnsignedByte(address + VERSION_IHL_OFFSET);
        final int headerLength = (versionIhl & 0x0F) << 2;
        final int totalLength = Memory.getShortBE(address + TOTAL_LENGTH_OFFSET);
        return (versionIhl >>> 4) == VERSION &&
            headerLength >= MIN_HEADER_LENGTH &&
            headerLength <= available &&
            totalLength >= headerLength &&
            totalLength <= available;
    }

    public static int getHeaderLength(final long address)
    {
        return (Memory.getUnsignedByte(address + VERSION_IHL_OFFSET) & 0x0F) << 2;
    }

    public static int getTotalLength(final long address)
    {
        return Memory.getShortBE(address + TOTAL_LENGTH_OFFSET);
    }

    public static int getProtocol(final long address)
    {
        return Memory.getUnsignedByte(address + PROTOCOL_OFFSET);
    }

    public static int getTtl(final long address)
    {
        return Memory.getUnsignedByte(address + TTL_OFFSET);
    }

    public static int getChecksum(final long address)
    {
        return Memory.getShortBE(address + CHECKSUM_OFFSET);
    }

    public static void putChecksum(final long address, final int checksum)
    {
        Memory.putShortBE(address + CHECKSUM_OFFSET, checksum);
    }

    public static int getSrcAddress(final long address)
    {
        return Memory.getIntBE(address + SRC_ADDRESS_OFFSET);
    }

    public static void putSrcAddress(final long address, final int srcAddress)
    {
        Memory.putIntBE(address + SRC_ADDRESS_OFFSET, srcAddress);
    }

    public static int getDstAddress(final long address)
    {
        return Memory.getIntBE(address + DST_ADDRESS_OFFSET);
    }

    public static void putDstAddress(final long address, final int dstAddress)
    {
        Memory.putIntBE(address + DST_ADDRESS_OFFSET, dstAddress);
    }

    public static boolean isFragment(final long address)
    {
        return (Memory.getShortBE(address + FLAGS_FRAGMENT_OFFSET_OFFSET) & FRAGMENT_BITS) != 0;
    }

    /** Control path: {@code 0xC0000201} as {@code "192.0.2.1"}. Allocates. */
    public static String addressToString(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Control path: parses a dotted quad such as {@code "192.0.2.1"}; throws on anything else. */
    public static int parseAddress(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int address = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9'))
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            final int octet = Integer.parseInt(part);
            if (octet > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            address = (address << 8) | octet;
        }
        return address;
    }
}
