package io.flowgate.pipeline.slowpath;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * The slow path's minimal ICMP: error messages about packets the data path could not deliver (TTL or hop
 * limit exceeded, destination unreachable, fragmentation needed / packet too big) and echo replies for the
 * box's own addresses. Everything is written into caller-provided memory, starting at the IP header; the
 * caller adds the Ethernet header and transmits. Nothing is allocated.
 * <p>
 * When not to answer follows RFC 1812 4.3.2.7 (IPv4) and RFC 4443 2.4(e) (IPv6), as Linux's
 * {@code icmp_send}/{@code icmp6_send} do: never about an ICMP error, a non-initial fragment, a packet
 * whose source is not a unicast host, or (IPv4) a packet sent to a broadcast or multicast address.
 * Rate limiting is {@link IcmpRateLimiter}'s job.
 */
public final class IcmpSender
{
    /** RFC 1812 4.3.2.3: an ICMPv4 error carries as much of the original as fits in 576 bytes. */
    public static final int IPV4_ERROR_MAX = 576;
    /** RFC 4443 2.4(c): an ICMPv6 error must not exceed the minimum IPv6 MTU. */
    public static final int IPV6_ERROR_MAX = 1280;
    public static final int DEFAULT_TTL = 64;
    /** Linux sends errors with TOS precedence "internetwork control" (IPTOS_PREC_INTERNETCONTROL). */
    private static final int TOS_INTERNETCONTROL = 0xC0;

    private int nextId;

    /**
     * Writes an ICMPv4 error about the IPv4 packet at {@code offending} ({@code offendingLength} bytes of it
     * readable) into {@code out}, from {@code srcAddress}. {@code info} is the next-hop MTU for
     * fragmentation needed, the pointer for parameter problem, else 0. Returns the IPv4 total length
     * written, or 0 when RFC 1812 says not to answer.
     */
    public int ipv4Error(final long out, final int outCapacity, final long offending, final int offendingLength,
                         final int type, final int code, final int info, final int srcAddress)
    {
        if (offendingLength < Ipv4Flyweight.MIN_HEADER_LENGTH || !mayAnswerIpv4(offending, offendingLength))
        {
            return 0;
        }
        final int quoted = Math.min(offendingLength, Math.min(IPV4_ERROR_MAX, outCapacity) - Ipv4Flyweight.MIN_HEADER_LENGTH
            - IcmpFlyweight.HEADER_LENGTH);
        if (quoted < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return 0;
        }
        final int total = Ipv4Flyweight.MIN_HEADER_LENGTH + IcmpFlyweight.HEADER_LENGTH + quoted;
        final long icmp = out + Ipv4Flyweight.MIN_HEADER_LENGTH;
        Memory.copy(offending, icmp + IcmpFlyweight.HEADER_LENGTH, quoted);
        Memory.putByte(icmp + IcmpFlyweight.TYPE_OFFSET, (byte)type);
        Memory.putByte(icmp + IcmpFlyweight.CODE_OFFSET, (byte)code);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, 0);
        if (type == IcmpFlyweight.DEST_UNREACHABLE && code == IcmpFlyweight.CODE_FRAGMENTATION_NEEDED)
        {
            Memory.putShortBE(icmp + 4, 0);
            Memory.putShortBE(icmp + 6, info); // RFC 1191: next-hop MTU
        }
        else
        {
            Memory.putIntBE(icmp + 4, type == IcmpFlyweight.PARAMETER_PROBLEM ? info << 24 : 0);
        }
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.checksum(icmp, total - Ipv4Flyweight.MIN_HEADER_LENGTH));
        final int tos = (Memory.getUnsignedByte(offending + Ipv4Flyweight.TOS_OFFSET) & 0x1E) | TOS_INTERNETCONTROL;
        writeIpv4Header(out, total, tos, srcAddress, Memory.getIntBE(offending + Ipv4Flyweight.SRC_ADDRESS_OFFSET));
        return total;
    }

    /**
     * Turns the ICMP echo request at {@code ip} ({@code length} bytes of IPv4) into its reply in place:
     * addresses swapped, type 0, fresh TTL, checksums updated. Returns false (and leaves the packet
     * alone) when it is not a well-formed, unfragmented echo request with a valid ICMP checksum.
     */
    public boolean ipv4EchoReply(final long ip, final int length)
    {
        final int headerLength = Ipv4Flyweight.getHeaderLength(ip);
        final int total = Memory.getShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET);
        if (headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH || total > length || total < headerLength + IcmpFlyweight.HEADER_LENGTH
            || Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) != IpProtocol.ICMP
            || (Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET)
            & (Ipv4Flyweight.FLAG_MORE_FRAGMENTS | Ipv4Flyweight.FRAGMENT_OFFSET_MASK)) != 0)
        {
            return false;
        }
        final long icmp = ip + headerLength;
        if (Memory.getUnsignedByte(icmp) != IcmpFlyweight.ECHO_REQUEST || Checksum.checksum(icmp, total - headerLength) != 0)
        {
            return false;
        }
        final int oldTypeCode = Memory.getShortBE(icmp);
        final int newTypeCode = IcmpFlyweight.ECHO_REPLY << 8 | (oldTypeCode & 0xFF);
        Memory.putShortBE(icmp, newTypeCode);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET,
            Checksum.adjust16(Memory.getShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET), oldTypeCode, newTypeCode));
        final int src = Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET);
        Memory.putIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET, Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET));
        Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, src);
        Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)DEFAULT_TTL);
        // Linux answers from a socket that does not do path MTU discovery: the reply has DF clear.
        Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 0);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, headerLength));
        return true;
    }

    /**
     * Writes an ICMPv6 error about the IPv6 packet at {@code offending} into {@code out}, from the address
     * {@code srcHi:srcLo}. {@code info} is the MTU for packet too big, the pointer for parameter problem,
     * else 0. Returns the IPv6 packet length written, or 0 when RFC 4443 2.4(e) says not to answer.
     */
    public int ipv6Error(final long out, final int outCapacity, final long offending, final int offendingLength,
                         final int type, final int code, final int info, final long srcHi, final long srcLo)
    {
        if (offendingLength < Ipv6Flyweight.HEADER_LENGTH || !mayAnswerIpv6(offending, offendingLength, type, code))
        {
            return 0;
        }
        final int quoted = Math.min(offendingLength,
            Math.min(IPV6_ERROR_MAX, outCapacity) - Ipv6Flyweight.HEADER_LENGTH - IcmpFlyweight.HEADER_LENGTH);
        if (quoted < Ipv6Flyweight.HEADER_LENGTH)
        {
            return 0;
        }
        final int payload = IcmpFlyweight.HEADER_LENGTH + quoted;
        final long icmp = out + Ipv6Flyweight.HEADER_LENGTH;
        Memory.copy(offending, icmp + IcmpFlyweight.HEADER_LENGTH, quoted);
        Memory.putIntBE(out, 6 << 28);
        Memory.putShortBE(out + 4, payload);
        Memory.putByte(out + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)IpProtocol.ICMPV6);
        Memory.putByte(out + 7, (byte)DEFAULT_TTL);
        Memory.putLongBE(out + Ipv6Flyweight.SRC_ADDRESS_OFFSET, srcHi);
        Memory.putLongBE(out + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, srcLo);
        Memory.copy(offending + Ipv6Flyweight.SRC_ADDRESS_OFFSET, out + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 16, 16);
        Memory.putByte(icmp + IcmpFlyweight.TYPE_OFFSET, (byte)type);
        Memory.putByte(icmp + IcmpFlyweight.CODE_OFFSET, (byte)code);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, 0);
        Memory.putIntBE(icmp + 4, type == IcmpFlyweight.V6_PACKET_TOO_BIG || type == IcmpFlyweight.V6_PARAMETER_PROBLEM ? info : 0);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(out, icmp));
        return Ipv6Flyweight.HEADER_LENGTH + payload;
    }

    /**
     * Turns the ICMPv6 echo request at {@code ip} ({@code length} bytes of IPv6, the ICMPv6 header right after
     * the fixed header) into its reply in place, as {@code icmpv6_echo_reply}: addresses swapped (the request
     * must have been to one of the box's unicast addresses, the caller's check), type 129, hop limit 64,
     * checksum recomputed. Returns false (and leaves the packet alone) when it is not a well-formed echo
     * request with a valid checksum.
     */
    public boolean ipv6EchoReply(final long ip, final int length)
    {
        if (!Ipv6Flyweight.isWellFormed(ip, length) || Ipv6Flyweight.getNextHeader(ip) != IpProtocol.ICMPV6
            || Ipv6Flyweight.getPayloadLength(ip) < IcmpFlyweight.HEADER_LENGTH)
        {
            return false;
        }
        final long icmp = ip + Ipv6Flyweight.HEADER_LENGTH;
        if (Memory.getUnsignedByte(icmp + IcmpFlyweight.TYPE_OFFSET) != IcmpFlyweight.V6_ECHO_REQUEST
            || Memory.getUnsignedByte(icmp + IcmpFlyweight.CODE_OFFSET) != 0 || !Checksum.isIcmpv6Valid(ip, icmp))
        {
            return false;
        }
        final long srcHi = Ipv6Flyweight.getSrcAddressHi(ip);
        final long srcLo = Ipv6Flyweight.getSrcAddressLo(ip);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET, Ipv6Flyweight.getDstAddressHi(ip));
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, Ipv6Flyweight.getDstAddressLo(ip));
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET, srcHi);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, srcLo);
        Memory.putByte(ip + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)DEFAULT_TTL);
        Memory.putByte(icmp + IcmpFlyweight.TYPE_OFFSET, (byte)IcmpFlyweight.V6_ECHO_REPLY);
        Memory.putShortBE(icmp + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(ip, icmp));
        return true;
    }

    /** RFC 1812 4.3.2.7 / Linux {@code icmp_send}: whether an error about this IPv4 packet may be sent. */
    static boolean mayAnswerIpv4(final long ip, final int length)
    {
        final int src = Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET);
        final int dst = Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET);
        if (!isUnicastHost(src) || dst == -1 || (dst >>> 28) == 0xE)
        {
            return false;
        }
        if ((Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) != 0)
        {
            return false;
        }
        final int headerLength = Ipv4Flyweight.getHeaderLength(ip);
        if (Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) == IpProtocol.ICMP)
        {
            // An error is never sent about an error; about a query (echo, timestamp) it is. A truncated
            // ICMP header is treated as an error, as Linux does.
            if (length < headerLength + 1)
            {
                return false;
            }
            final int type = Memory.getUnsignedByte(ip + headerLength);
            return type == IcmpFlyweight.ECHO_REQUEST || type == IcmpFlyweight.ECHO_REPLY
                || type == IcmpFlyweight.TIMESTAMP_REQUEST || type == IcmpFlyweight.TIMESTAMP_REPLY;
        }
        return true;
    }

    /** RFC 4443 2.4(e): no error about an error, or to a multicast destination (but Packet Too Big and Parameter Problem code 2). */
    static boolean mayAnswerIpv6(final long ip, final int length, final int type, final int code)
    {
        final long srcHi = Memory.getLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET);
        final long srcLo = Memory.getLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8);
        if ((srcHi == 0 && srcLo == 0) || (srcHi >>> 56) == 0xFF)
        {
            return false; // unspecified or multicast source
        }
        final boolean dstMulticast = Memory.getUnsignedByte(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 16) == 0xFF;
        if (dstMulticast && type != IcmpFlyweight.V6_PACKET_TOO_BIG && !(type == IcmpFlyweight.V6_PARAMETER_PROBLEM && code == 2))
        {
            return false;
        }
        if (Memory.getUnsignedByte(ip + Ipv6Flyweight.NEXT_HEADER_OFFSET) == IpProtocol.ICMPV6
            && length >= Ipv6Flyweight.HEADER_LENGTH + 1)
        {
            // Error types are 0..127 (RFC 4443 2.1); a truncated header counts as an error.
            return Memory.getUnsignedByte(ip + Ipv6Flyweight.HEADER_LENGTH) >= 128;
        }
        return true;
    }

    /** Not 0.0.0.0/8, loopback, multicast, class E or limited broadcast. */
    private static boolean isUnicastHost(final int address)
    {
        final int first = address >>> 24;
        return first != 0 && first != 127 && first < 224;
    }

    private void writeIpv4Header(final long ip, final int total, final int tos, final int src, final int dst)
    {
        Memory.putByte(ip, (byte)0x45);
        Memory.putByte(ip + Ipv4Flyweight.TOS_OFFSET, (byte)tos);
        Memory.putShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, total);
        Memory.putShortBE(ip + Ipv4Flyweight.ID_OFFSET, nextId++ & 0xFFFF);
        Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 0);
        Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)DEFAULT_TTL);
        Memory.putByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET, (byte)IpProtocol.ICMP);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
        Memory.putIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET, src);
        Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, dst);
        Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, Ipv4Flyweight.MIN_HEADER_LENGTH));
    }
}
