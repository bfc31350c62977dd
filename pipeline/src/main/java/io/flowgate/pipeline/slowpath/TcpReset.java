package io.flowgate.pipeline.slowpath;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.header.TcpFlyweight;

/**
 * The TCP reset of {@code reject with tcp reset}, built as Linux's {@code nf_send_reset} and
 * {@code nf_send_reset6} build it ({@code net/ipv4/netfilter/nf_reject_ipv4.c}, {@code net/ipv6/netfilter/nf_reject_ipv6.c}):
 * written into caller-provided memory from the IP header on; the caller adds the Ethernet header.
 * <p>
 * No reset is sent about: a non-first fragment (IPv4 offset != 0; IPv6: found while skipping the extension
 * headers, as {@code ipv6_skip_exthdr}), a packet that is not TCP, a
 * truncated TCP header, a reset, a segment whose TCP checksum is wrong, a packet to a broadcast or multicast
 * address (IPv6: either address not unicast).
 * <pre>
 *   IPv4: tos 0, id 0, DF, TTL 64 (ip_default_ttl), from the offending packet's destination to its source
 *   IPv6: traffic class 0, flow label 0, hop limit 64
 *   TCP:  ports swapped, data offset 5, window 0, urgent 0, no options
 *         offending ACK set:   seq = its ack_seq, ack_seq 0, flags RST
 *         offending ACK clear: seq 0, ack_seq = its seq + SYN + FIN + payload length, flags RST|ACK
 * </pre>
 */
public final class TcpReset
{
    public static final int IPV4_LENGTH = Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH;
    public static final int IPV6_LENGTH = Ipv6Flyweight.HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH;
    public static final int TTL = 64;
    private static final int IPV4_DF = 0x4000;

    private TcpReset()
    {
    }

    /**
     * A reset answering the IPv4 packet at {@code ip} ({@code length} readable bytes) into {@code out}
     * ({@code outCapacity} bytes); returns the bytes written ({@link #IPV4_LENGTH}) or 0 when none is owed.
     */
    public static int ipv4(final long out, final int outCapacity, final long ip, final int length)
    {
        if (outCapacity < IPV4_LENGTH || length < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return 0;
        }
        final int headerLength = Ipv4Flyweight.getHeaderLength(ip);
        final int total = Memory.getShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET);
        if (headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH || total > length
            || total < headerLength + TcpFlyweight.MIN_HEADER_LENGTH
            || Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET) != IpProtocol.TCP
            || (Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) != 0)
        {
            return 0;
        }
        final int dst = Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET);
        if (dst == -1 || (dst >>> 28) == 0xE)
        {
            return 0; // rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST)
        }
        final long th = ip + headerLength;
        if (!mayReset(th, total - headerLength) || !Checksum.isTcpIpv4Valid(ip))
        {
            return 0;
        }
        Memory.putByte(out, (byte)0x45);
        Memory.putByte(out + Ipv4Flyweight.TOS_OFFSET, (byte)0);
        Memory.putShortBE(out + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, IPV4_LENGTH);
        Memory.putShortBE(out + Ipv4Flyweight.ID_OFFSET, 0);
        Memory.putShortBE(out + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, IPV4_DF);
        Memory.putByte(out + Ipv4Flyweight.TTL_OFFSET, (byte)TTL);
        Memory.putByte(out + Ipv4Flyweight.PROTOCOL_OFFSET, (byte)IpProtocol.TCP);
        Memory.putShortBE(out + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
        Memory.putIntBE(out + Ipv4Flyweight.SRC_ADDRESS_OFFSET, dst);
        Memory.putIntBE(out + Ipv4Flyweight.DST_ADDRESS_OFFSET, Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET));
        Memory.putShortBE(out + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(out, Ipv4Flyweight.MIN_HEADER_LENGTH));
        writeTcp(out + Ipv4Flyweight.MIN_HEADER_LENGTH, th, total - headerLength);
        Memory.putShortBE(out + Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.CHECKSUM_OFFSET, Checksum.tcpIpv4(out));
        return IPV4_LENGTH;
    }

    /**
     * A reset answering the IPv6 packet at {@code ip} ({@code length} readable bytes) into {@code out}; returns the
     * bytes written ({@link #IPV6_LENGTH}) or 0 when none is owed.
     */
    public static int ipv6(final long out, final int outCapacity, final long ip, final int length)
    {
        if (outCapacity < IPV6_LENGTH || length < Ipv6Flyweight.HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH)
        {
            return 0;
        }
        final int end = Ipv6Flyweight.HEADER_LENGTH + Ipv6Flyweight.getPayloadLength(ip);
        if (end > length)
        {
            return 0;
        }
        // nf_reject_ip6_tcphdr_get: the TCP header after the extension headers; none for a non-first fragment.
        final long skipped = Ipv6Flyweight.skipExtensionHeaders(ip, end);
        final int offset = Ipv6Flyweight.upperLayerOffset(skipped);
        final int payload = end - offset;
        if (offset < 0 || Ipv6Flyweight.upperLayerProtocol(skipped) != IpProtocol.TCP || payload < TcpFlyweight.MIN_HEADER_LENGTH)
        {
            return 0;
        }
        final long srcHi = Ipv6Flyweight.getSrcAddressHi(ip);
        final long srcLo = Ipv6Flyweight.getSrcAddressLo(ip);
        final long dstHi = Ipv6Flyweight.getDstAddressHi(ip);
        final long dstLo = Ipv6Flyweight.getDstAddressLo(ip);
        if (!isUnicast6(srcHi, srcLo) || !isUnicast6(dstHi, dstLo))
        {
            return 0;
        }
        final long th = ip + offset;
        if (!mayReset(th, payload) || !Checksum.isTcpIpv6Valid(ip, th))
        {
            return 0;
        }
        Memory.putIntBE(out, 6 << 28);
        Memory.putShortBE(out + 4, TcpFlyweight.MIN_HEADER_LENGTH);
        Memory.putByte(out + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)IpProtocol.TCP);
        Memory.putByte(out + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)TTL);
        Memory.putLongBE(out + Ipv6Flyweight.SRC_ADDRESS_OFFSET, dstHi);
        Memory.putLongBE(out + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, dstLo);
        Memory.putLongBE(out + Ipv6Flyweight.DST_ADDRESS_OFFSET, srcHi);
        Memory.putLongBE(out + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, srcLo);
        final long tcp = out + Ipv6Flyweight.HEADER_LENGTH;
        writeTcp(tcp, th, payload);
        Memory.putShortBE(tcp + TcpFlyweight.CHECKSUM_OFFSET, Checksum.tcpIpv6(out, tcp));
        return IPV6_LENGTH;
    }

    /** A complete TCP header that is not itself a reset. */
    private static boolean mayReset(final long th, final int segmentLength)
    {
        final int dataOffset = (Memory.getUnsignedByte(th + TcpFlyweight.DATA_OFFSET_OFFSET) >>> 4) * 4;
        return dataOffset >= TcpFlyweight.MIN_HEADER_LENGTH && dataOffset <= segmentLength
            && (Memory.getUnsignedByte(th + TcpFlyweight.FLAGS_OFFSET) & TcpFlyweight.RST) == 0;
    }

    /** nf_reject_ip_tcphdr_put / nf_reject_ip6_tcphdr_put: the header with a zero checksum field. */
    private static void writeTcp(final long tcp, final long th, final int segmentLength)
    {
        final int flags = Memory.getUnsignedByte(th + TcpFlyweight.FLAGS_OFFSET);
        final int dataOffset = (Memory.getUnsignedByte(th + TcpFlyweight.DATA_OFFSET_OFFSET) >>> 4) * 4;
        Memory.putShortBE(tcp + TcpFlyweight.SRC_PORT_OFFSET, Memory.getShortBE(th + TcpFlyweight.DST_PORT_OFFSET));
        Memory.putShortBE(tcp + TcpFlyweight.DST_PORT_OFFSET, Memory.getShortBE(th + TcpFlyweight.SRC_PORT_OFFSET));
        if ((flags & TcpFlyweight.ACK) != 0)
        {
            Memory.putIntBE(tcp + TcpFlyweight.SEQUENCE_OFFSET, Memory.getIntBE(th + TcpFlyweight.ACKNOWLEDGMENT_OFFSET));
            Memory.putIntBE(tcp + TcpFlyweight.ACKNOWLEDGMENT_OFFSET, 0);
            Memory.putByte(tcp + TcpFlyweight.FLAGS_OFFSET, (byte)TcpFlyweight.RST);
        }
        else
        {
            final int consumed = ((flags & TcpFlyweight.SYN) != 0 ? 1 : 0) + ((flags & TcpFlyweight.FIN) != 0 ? 1 : 0)
                + segmentLength - dataOffset;
            Memory.putIntBE(tcp + TcpFlyweight.SEQUENCE_OFFSET, 0);
            Memory.putIntBE(tcp + TcpFlyweight.ACKNOWLEDGMENT_OFFSET,
                Memory.getIntBE(th + TcpFlyweight.SEQUENCE_OFFSET) + consumed);
            Memory.putByte(tcp + TcpFlyweight.FLAGS_OFFSET, (byte)(TcpFlyweight.RST | TcpFlyweight.ACK));
        }
        Memory.putByte(tcp + TcpFlyweight.DATA_OFFSET_OFFSET, (byte)(5 << 4));
        Memory.putShortBE(tcp + TcpFlyweight.WINDOW_OFFSET, 0);
        Memory.putShortBE(tcp + TcpFlyweight.CHECKSUM_OFFSET, 0);
        Memory.putShortBE(tcp + TcpFlyweight.URGENT_POINTER_OFFSET, 0);
    }

    /** Not unspecified, not multicast (ipv6_addr_type & IPV6_ADDR_UNICAST; loopback is refused too). */
    private static boolean isUnicast6(final long hi, final long lo)
    {
        return !(hi == 0 && (lo == 0 || lo == 1)) && (hi >>> 56) != 0xFF;
    }
}
