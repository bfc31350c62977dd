package io.flowgate.pmd.checksum;

import io.flowgate.nativebindings.Memory;

/**
 * The Internet checksum (RFC 1071) over packet memory at native addresses: sums, pseudo-header sums,
 * TCP/UDP/ICMPv6 checksums of whole IPv4 and IPv6 packets, and incremental updates (RFC 1624).
 * <p>
 * Usage: a <em>sum</em> is the 16-bit one's complement sum of the data in network byte order, folded
 * but not complemented (0..0xFFFF); sums of adjacent pieces combine with {@link #add(int, int)}, or with
 * {@link #combine(int, int, int)} when a piece starts at an odd offset. A <em>checksum</em> is the
 * complement of a sum, the value written to the wire: {@code Checksum.finish(sum)}. Data whose stored
 * checksum is correct sums to 0xFFFF.
 * <pre>
 *   final int pseudo = Checksum.ipv4PseudoHeaderSum(src, dst, IpProtocol.UDP, udpLength);
 *   final int sum = Checksum.sum(udpAddress, udpLength, pseudo);   // checksum field included
 *   final boolean valid = sum == 0xFFFF;
 * </pre>
 * Methods whose names end in {@code At} read their inputs from the native address they are given; the
 * others take values.
 * <p>
 * Packet-level methods ({@link #tcpIpv4(long)}, {@link #udpIpv6(long, long)}, ...) read lengths and
 * addresses from the IP header: the caller has checked that header against the buffer
 * ({@code Ipv4Flyweight.isWellFormed}), since these read as far as its lengths say.
 * <p>
 * Thread-safety: stateless; safe from any thread. Nothing allocates.
 * <p>
 * The field offsets used here repeat those of RFC 791, RFC 8200, RFC 9293 and RFC 768 instead of importing
 * them from {@code io.flowgate.pmd.header}: the flyweights compute their checksums with this class, and the
 * dependency runs one way.
 */
public final class Checksum
{
    /** A complete, correct checksum makes the data, pseudo-header included, sum to this. */
    public static final int VALID_SUM = 0xFFFF;

    /** RFC 768: a UDP checksum field of zero means the sender computed none (IPv4 only). */
    public static final int UDP_NO_CHECKSUM = 0;

    private static final long LOW_32 = 0xFFFF_FFFFL;

    private static final int IPV4_VERSION_IHL_OFFSET = 0;
    private static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    private static final int IPV4_SRC_OFFSET = 12;
    private static final int IPV4_ADDRESSES_LENGTH = 8;

    private static final int IPV6_HEADER_LENGTH = 40;
    private static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    private static final int IPV6_SRC_OFFSET = 8;
    private static final int IPV6_ADDRESSES_LENGTH = 32;

    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;
    private static final int PROTOCOL_ICMPV6 = 58;

    private static final int TCP_CHECKSUM_OFFSET = 16;
    private static final int UDP_LENGTH_OFFSET = 4;
    private static final int UDP_CHECKSUM_OFFSET = 6;
    private static final int UDP_HEADER_LENGTH = 8;
    private static final int ICMPV6_CHECKSUM_OFFSET = 2;

    private Checksum()
    {
    }

    /**
     * One's complement sum of {@code length} bytes at {@code address}, as 16-bit big-endian words counted
     * from {@code address}; an odd last byte is padded with a zero byte (RFC 1071 4.1).
     *
     * @return the folded sum, 0..0xFFFF.
     */
    public static int sum(final long address, final int length)
    {
        return fold(accumulate(address, length, 0L));
    }

    /**
     * {@link #sum(long, int)} continued from {@code initialSum}, a sum of data that ends at an even offset
     * just before {@code address} (a pseudo-header sum, or a previous piece).
     */
    public static int sum(final long address, final int length, final int initialSum)
    {
        return fold(accumulate(address, length, initialSum & 0xFFFF));
    }

    /**
     * The checksum to store for {@code length} bytes at {@code address}, with whatever the checksum field
     * holds counted as part of the data: zero the field first, or use {@link #checksumSkipping}.
     */
    public static int checksum(final long address, final int length)
    {
        return finish(sum(address, length));
    }

    /**
     * The checksum to store for {@code length} bytes at {@code address} whose 16-bit checksum field at
     * {@code fieldOffset} (even) counts as zero, continuing {@code initialSum} (0 for none). The field is
     * only skipped, never written.
     */
    public static int checksumSkipping(
        final long address, final int length, final int fieldOffset, final int initialSum)
    {
        final long head = accumulate(address, fieldOffset, initialSum & 0xFFFF);
        final int tailOffset = fieldOffset + 2;
        return finish(fold(accumulate(address + tailOffset, length - tailOffset, head)));
    }

    /** One's complement addition of two sums, each 0..0xFFFF. */
    public static int add(final int sumA, final int sumB)
    {
        final int sum = sumA + sumB;
        return (sum & 0xFFFF) + (sum >>> 16);
    }

    /**
     * The sum of two adjacent pieces of data, where the second starts {@code offsetOfB} bytes after the
     * first: a piece starting at an odd offset was summed with its bytes in the other halves of the 16-bit
     * words, and is byte-swapped before it is added (RFC 1071 2(B)).
     */
    public static int combine(final int sumA, final int sumB, final int offsetOfB)
    {
        return add(sumA, (offsetOfB & 1) == 0 ? sumB : swapBytes(sumB));
    }

    /** The checksum for a sum: its one's complement, 0..0xFFFF. */
    public static int finish(final int sum)
    {
        return ~sum & 0xFFFF;
    }

    /** Folds a wide accumulator of 16-bit words into 16 bits with end-around carry. */
    public static int fold(final long sum)
    {
        long folded = (sum & LOW_32) + (sum >>> 32);
        folded = (folded & LOW_32) + (folded >>> 32);
        folded = (folded & 0xFFFF) + (folded >>> 16);
        folded = (folded & 0xFFFF) + (folded >>> 16);
        return (int)folded;
    }

    // ------------------------------------------------------------------------------------------------------
    // Pseudo-headers
    // ------------------------------------------------------------------------------------------------------

    /**
     * Sum of the IPv4 pseudo-header (RFC 9293 3.1, RFC 768): source and destination address, zero,
     * protocol and the upper-layer length.
     * <pre>
     * +--------+--------+--------+--------+
     * |           Source Address          |
     * +--------+--------+--------+--------+
     * |         Destination Address       |
     * +--------+--------+--------+--------+
     * |  zero  |  PTCL  |  Upper-layer len |
     * +--------+--------+--------+--------+
     * </pre>
     */
    public static int ipv4PseudoHeaderSum(
        final int srcAddress, final int dstAddress, final int protocol, final int upperLayerLength)
    {
        return fold(
            (long)(srcAddress >>> 16) + (srcAddress & 0xFFFF) +
            (dstAddress >>> 16) + (dstAddress & 0xFFFF) +
            protocol + upperLayerLength);
    }

    /**
     * {@link #ipv4PseudoHeaderSum(int, int, int, int)} with the addresses read from the IPv4 header at
     * {@code ipv4Address}.
     */
    public static int ipv4PseudoHeaderSumAt(final long ipv4Address, final int protocol, final int upperLayerLength)
    {
        return fold(accumulate(ipv4Address + IPV4_SRC_OFFSET, IPV4_ADDRESSES_LENGTH, protocol + upperLayerLength));
    }

    /**
     * Sum of the IPv6 pseudo-header (RFC 8200 8.1): the 16-byte source and destination addresses, the
     * 32-bit upper-layer length and the next header value.
     * <pre>
     * +-------------------------------------------+
     * |     Source Address (16 bytes)             |
     * +-------------------------------------------+
     * |     Destination Address (16 bytes)        |
     * +-------------------------------------------+
     * |     Upper-Layer Packet Length (32 bits)   |
     * +--------------------------+----------------+
     * |     zero (24 bits)       |  Next Header   |
     * +--------------------------+----------------+
     * </pre>
     * With a Routing header the destination is the final one; callers of that case pass it here.
     */
    public static int ipv6PseudoHeaderSum(
        final long srcHi, final long srcLo, final long dstHi, final long dstLo,
        final int nextHeader, final int upperLayerLength)
    {
        return fold(
            halves(srcHi) + halves(srcLo) + halves(dstHi) + halves(dstLo) +
            (upperLayerLength >>> 16) + (upperLayerLength & 0xFFFF) + nextHeader);
    }

    /**
     * {@link #ipv6PseudoHeaderSum(long, long, long, long, int, int)} with the 16-byte addresses read from
     * memory at {@code srcAddressAt} and {@code dstAddressAt}.
     */
    public static int ipv6PseudoHeaderSumAt(
        final long srcAddressAt, final long dstAddressAt, final int nextHeader, final int upperLayerLength)
    {
        final long sum = accumulate(srcAddressAt, 16, 0L) + accumulate(dstAddressAt, 16, 0L);
        return fold(sum + (upperLayerLength >>> 16) + (upperLayerLength & 0xFFFF) + nextHeader);
    }

    /**
     * {@link #ipv6PseudoHeaderSum(long, long, long, long, int, int)} with the addresses read from the IPv6
     * header at {@code ipv6Address}.
     */
    public static int ipv6PseudoHeaderSumAt(final long ipv6Address, final int nextHeader, final int upperLayerLength)
    {
        final long initial = (long)(upperLayerLength >>> 16) + (upperLayerLength & 0xFFFF) + nextHeader;
        return fold(accumulate(ipv6Address + IPV6_SRC_OFFSET, IPV6_ADDRESSES_LENGTH, initial));
    }

    // ------------------------------------------------------------------------------------------------------
    // TCP, UDP and ICMPv6 over whole packets
    // ------------------------------------------------------------------------------------------------------

    /**
     * The checksum to store in the TCP header of the IPv4 packet at {@code ipv4Address}; the segment length
     * is the total length less the IPv4 header. The checksum field's current value is ignored.
     */
    public static int tcpIpv4(final long ipv4Address)
    {
        final int headerLength = ipv4HeaderLength(ipv4Address);
        final int segmentLength = Memory.getShortBE(ipv4Address + IPV4_TOTAL_LENGTH_OFFSET) - headerLength;
        final int pseudo = ipv4PseudoHeaderSumAt(ipv4Address, PROTOCOL_TCP, segmentLength);
        return checksumSkipping(ipv4Address + headerLength, segmentLength, TCP_CHECKSUM_OFFSET, pseudo);
    }

    /** Whether the TCP checksum of the IPv4 packet at {@code ipv4Address} is correct. */
    public static boolean isTcpIpv4Valid(final long ipv4Address)
    {
        final int headerLength = ipv4HeaderLength(ipv4Address);
        final int segmentLength = Memory.getShortBE(ipv4Address + IPV4_TOTAL_LENGTH_OFFSET) - headerLength;
        final int pseudo = ipv4PseudoHeaderSumAt(ipv4Address, PROTOCOL_TCP, segmentLength);
        return sum(ipv4Address + headerLength, segmentLength, pseudo) == VALID_SUM;
    }

    /**
     * The checksum to store in the UDP header of the IPv4 packet at {@code ipv4Address}, over the UDP length
     * the header states. A computed 0 is returned as 0xFFFF, since 0 on the wire means "no checksum"
     * (RFC 768).
     */
    public static int udpIpv4(final long ipv4Address)
    {
        final long udpAddress = ipv4Address + ipv4HeaderLength(ipv4Address);
        final int udpLength = Memory.getShortBE(udpAddress + UDP_LENGTH_OFFSET);
        final int pseudo = ipv4PseudoHeaderSumAt(ipv4Address, PROTOCOL_UDP, udpLength);
        return nonZero(checksumSkipping(udpAddress, udpLength, UDP_CHECKSUM_OFFSET, pseudo));
    }

    /**
     * Whether the UDP datagram of the IPv4 packet at {@code ipv4Address} passes its checksum: true when
     * the field is 0 (the sender computed none), false when the UDP length is below 8 or beyond the IPv4
     * payload (Linux {@code __udp4_lib_rcv} drops those as short packets).
     */
    public static boolean isUdpIpv4Valid(final long ipv4Address)
    {
        final int headerLength = ipv4HeaderLength(ipv4Address);
        final long udpAddress = ipv4Address + headerLength;
        final int udpLength = Memory.getShortBE(udpAddress + UDP_LENGTH_OFFSET);
        final int payloadLength = Memory.getShortBE(ipv4Address + IPV4_TOTAL_LENGTH_OFFSET) - headerLength;
        if (udpLength < UDP_HEADER_LENGTH || udpLength > payloadLength)
        {
            return false;
        }
        if (Memory.getShortBE(udpAddress + UDP_CHECKSUM_OFFSET) == UDP_NO_CHECKSUM)
        {
            return true;
        }
        final int pseudo = ipv4PseudoHeaderSumAt(ipv4Address, PROTOCOL_UDP, udpLength);
        return sum(udpAddress, udpLength, pseudo) == VALID_SUM;
    }

    /**
     * The checksum to store in the TCP header at {@code tcpAddress} of the IPv6 packet at
     * {@code ipv6Address}; extension headers may lie between them, and the segment runs to the end of
     * the IPv6 payload.
     */
    public static int tcpIpv6(final long ipv6Address, final long tcpAddress)
    {
        final int segmentLength = ipv6UpperLayerLength(ipv6Address, tcpAddress);
        final int pseudo = ipv6PseudoHeaderSumAt(ipv6Address, PROTOCOL_TCP, segmentLength);
        return checksumSkipping(tcpAddress, segmentLength, TCP_CHECKSUM_OFFSET, pseudo);
    }

    /** Whether the TCP checksum of the segment at {@code tcpAddress} in the IPv6 packet is correct. */
    public static boolean isTcpIpv6Valid(final long ipv6Address, final long tcpAddress)
    {
        final int segmentLength = ipv6UpperLayerLength(ipv6Address, tcpAddress);
        final int pseudo = ipv6PseudoHeaderSumAt(ipv6Address, PROTOCOL_TCP, segmentLength);
        return sum(tcpAddress, segmentLength, pseudo) == VALID_SUM;
    }

    /**
     * The checksum to store in the UDP header at {@code udpAddress} of the IPv6 packet, over the UDP length
     * the header states; a computed 0 is returned as 0xFFFF (RFC 8200 8.1).
     */
    public static int udpIpv6(final long ipv6Address, final long udpAddress)
    {
        final int udpLength = Memory.getShortBE(udpAddress + UDP_LENGTH_OFFSET);
        final int pseudo = ipv6PseudoHeaderSumAt(ipv6Address, PROTOCOL_UDP, udpLength);
        return nonZero(checksumSkipping(udpAddress, udpLength, UDP_CHECKSUM_OFFSET, pseudo));
    }

    /**
     * Whether the UDP datagram at {@code udpAddress} in the IPv6 packet passes its checksum. A zero field is
     * invalid over IPv6 (RFC 8200 8.1; the tunnel exception of RFC 6935 is not taken), and so is a UDP
     * length below 8 or beyond the IPv6 payload.
     */
    public static boolean isUdpIpv6Valid(final long ipv6Address, final long udpAddress)
    {
        final int udpLength = Memory.getShortBE(udpAddress + UDP_LENGTH_OFFSET);
        if (udpLength < UDP_HEADER_LENGTH || udpLength > ipv6UpperLayerLength(ipv6Address, udpAddress))
        {
            return false;
        }
        if (Memory.getShortBE(udpAddress + UDP_CHECKSUM_OFFSET) == UDP_NO_CHECKSUM)
        {
            return false;
        }
        final int pseudo = ipv6PseudoHeaderSumAt(ipv6Address, PROTOCOL_UDP, udpLength);
        return sum(udpAddress, udpLength, pseudo) == VALID_SUM;
    }

    /** The checksum to store in the ICMPv6 message at {@code icmpAddress}, which runs to the end of the payload. */
    public static int icmpv6(final long ipv6Address, final long icmpAddress)
    {
        final int length = ipv6UpperLayerLength(ipv6Address, icmpAddress);
        final int pseudo = ipv6PseudoHeaderSumAt(ipv6Address, PROTOCOL_ICMPV6, length);
        return checksumSkipping(icmpAddress, length, ICMPV6_CHECKSUM_OFFSET, pseudo);
    }

    /** Whether the checksum of the ICMPv6 message at {@code icmpAddress} in the IPv6 packet is correct. */
    public static boolean isIcmpv6Valid(final long ipv6Address, final long icmpAddress)
    {
        final int length = ipv6UpperLayerLength(ipv6Address, icmpAddress);
        final int pseudo = ipv6PseudoHeaderSumAt(ipv6Address, PROTOCOL_ICMPV6, length);
        return sum(icmpAddress, length, pseudo) == VALID_SUM;
    }

    // ------------------------------------------------------------------------------------------------------
    // Incremental update, RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
    // ------------------------------------------------------------------------------------------------------

    /**
     * The checksum after a 16-bit word covered by it changes from {@code oldValue} to {@code newValue}
     * (RFC 1624 eqn. 3). For data that does not sum to zero, which any IP header or pseudo-header
     * guarantees, the result equals a full recomputation.
     */
    public static int adjust16(final int checksum, final int oldValue, final int newValue)
    {
        final int sum = (~checksum & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * The checksum after a 32-bit field covered by it, such as an IPv4 address in a TCP/UDP pseudo-header,
     * changes from {@code oldValue} to {@code newValue}: eqn. 3 applied to both halves at once. The field
     * must start at an even offset of the checksummed data.
     */
    public static int adjust32(final int checksum, final int oldValue, final int newValue)
    {
        final long sum = (long)(~checksum & 0xFFFF) +
            (~oldValue >>> 16) + (~oldValue & 0xFFFF) +
            (newValue >>> 16) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * {@link #adjust16} for a UDP-over-IPv4 checksum: a datagram sent without checksum (0) stays without,
     * and an adjusted 0 is stored as 0xFFFF (as Linux {@code CSUM_MANGLED_0}).
     */
    public static int adjustUdp16(final int checksum, final int oldValue, final int newValue)
    {
        return checksum == UDP_NO_CHECKSUM ? UDP_NO_CHECKSUM : nonZero(adjust16(checksum, oldValue, newValue));
    }

    /** {@link #adjust32} with the UDP-over-IPv4 rules of {@link #adjustUdp16}. */
    public static int adjustUdp32(final int checksum, final int oldValue, final int newValue)
    {
        return checksum == UDP_NO_CHECKSUM ? UDP_NO_CHECKSUM : nonZero(adjust32(checksum, oldValue, newValue));
    }

    // ------------------------------------------------------------------------------------------------------

    /**
     * Adds the 16-bit big-endian words of the data to {@code initial} without folding. Each 8-byte load
     * contributes its two 32-bit halves, so the accumulator cannot overflow for any int length; two
     * accumulators let the loads of a 32-byte step run independently.
     */
    private static long accumulate(final long address, final int length, final long initial)
    {
        long sumA = initial;
        long sumB = 0;
        long cursor = address;
        int remaining = length;

        while (remaining >= 32)
        {
            final long w0 = Memory.getLongBE(cursor);
            final long w1 = Memory.getLongBE(cursor + 8);
            final long w2 = Memory.getLongBE(cursor + 16);
            final long w3 = Memory.getLongBE(cursor + 24);
            sumA += (w0 >>> 32) + (w0 & LOW_32) + (w1 >>> 32) + (w1 & LOW_32);
            sumB += (w2 >>> 32) + (w2 & LOW_32) + (w3 >>> 32) + (w3 & LOW_32);
            cursor += 32;
            remaining -= 32;
        }

        while (remaining >= 8)
        {
            final long word = Memory.getLongBE(cursor);
            sumA += (word >>> 32) + (word & LOW_32);
            cursor += 8;
            remaining -= 8;
        }

        if (remaining >= 4)
        {
            sumB += Memory.getIntBE(cursor) & LOW_32;
            cursor += 4;
            remaining -= 4;
        }

        if (remaining >= 2)
        {
            sumA += Memory.getShortBE(cursor);
            cursor += 2;
            remaining -= 2;
        }

        if (remaining == 1)
        {
            sumB += Memory.getUnsignedByte(cursor) << 8;
        }

        return sumA + sumB;
    }

    private static long halves(final long value)
    {
        return (value >>> 48) + ((value >>> 32) & 0xFFFF) + ((value >>> 16) & 0xFFFF) + (value & 0xFFFF);
    }

    private static int swapBytes(final int sum)
    {
        return ((sum & 0xFF) << 8) | ((sum >>> 8) & 0xFF);
    }

    private static int nonZero(final int checksum)
    {
        return checksum == 0 ? 0xFFFF : checksum;
    }

    private static int ipv4HeaderLength(final long ipv4Address)
    {
        return (Memory.getUnsignedByte(ipv4Address + IPV4_VERSION_IHL_OFFSET) & 0x0F) << 2;
    }

    private static int ipv6UpperLayerLength(final long ipv6Address, final long upperLayerAddress)
    {
        final int payloadLength = Memory.getShortBE(ipv6Address + IPV6_PAYLOAD_LENGTH_OFFSET);
        final long payloadEnd = ipv6Address + IPV6_HEADER_LENGTH + payloadLength;
        return (int)(payloadEnd - upperLayerAddress);
    }
}
