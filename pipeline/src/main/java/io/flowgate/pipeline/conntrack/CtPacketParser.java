package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * Takes the facts conntrack needs from a packet's network header: its tuple, lengths, the L4 header's
 * place, ICMP errors' embedded tuples, and the L4 checksum's verdict — Linux's {@code get_l4proto},
 * {@code nf_ct_get_tuple}, the {@code *_error} handlers' length and checksum checks and
 * {@code nf_ct_get_tuplepr} for the packet inside an ICMP error.
 * <p>
 * The IP header itself has been validated by the input stage (version, header length, header checksum,
 * total length within the frame). IPv6 extension headers are walked as Linux's {@code ipv6_skip_exthdr} walks them ({@code Ipv6Flyweight.skipExtensionHeaders}).
 * <p>
 * Thread-safety: one instance per worker.
 */
public final class CtPacketParser
{
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int ICMPV6 = 58;
    /** NR_ICMP_TYPES: ICMP types above it are invalid (RFC 1122 3.2.2 says discard). */
    private static final int NR_ICMP_TYPES = 18;

    private final boolean checksum;

    /** @param checksum verify L4 checksums (Linux's nf_conntrack_checksum, on by default) */
    public CtPacketParser(final boolean checksum)
    {
        this.checksum = checksum;
    }

    /** Fills {@code p} from the IPv4 packet at {@code ip} ({@code segmentBytes}: bytes of it in this mbuf segment). */
    public void ipv4(final long ip, final int segmentBytes, final int zone, final CtPacket p)
    {
        final int headerLength = Ipv4Flyweight.getHeaderLength(ip);
        final int totalLength = Ipv4Flyweight.getTotalLength(ip);
        final int protocol = Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET);
        final int src = Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET);
        final int dst = Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET);
        final long l4 = ip + headerLength;
        final int l4Length = totalLength - headerLength;
        p.status = CtPacket.OK;
        p.icmpError = false;
        p.icmpType = -1;
        p.l3Length = totalLength;
        p.l4 = l4;
        p.l4Length = l4Length;
        p.outerDstHi = 0;
        p.outerDstLo = dst & 0xFFFF_FFFFL;
        final CtKey key = p.key;
        key.ipv4(zone, protocol, src, dst, 0, 0);
        if ((Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) != 0)
        {
            p.status = CtPacket.NO_TUPLE; // ipv4_get_l4proto: a non-first fragment has no L4 header
            return;
        }
        // A reassembled datagram is a chain: its L4 header is in the first segment, its payload is not all here.
        final boolean whole = totalLength <= segmentBytes;
        switch (protocol)
        {
            case TCP:
                if (l4Length < 4)
                {
                    p.status = CtPacket.NO_TUPLE;
                    return;
                }
                key.srcPort = Memory.getShortBE(l4);
                key.dstPort = Memory.getShortBE(l4 + 2);
                if (checksum && whole && l4Length >= 20 && !Checksum.isTcpIpv4Valid(ip))
                {
                    p.status = CtPacket.BAD_CHECKSUM;
                }
                return;
            case UDP:
                if (l4Length < 4)
                {
                    p.status = CtPacket.NO_TUPLE;
                    return;
                }
                key.srcPort = Memory.getShortBE(l4);
                key.dstPort = Memory.getShortBE(l4 + 2);
                if (checksum && whole && l4Length >= 8 && Memory.getShortBE(l4 + 6) != 0 && !Checksum.isUdpIpv4Valid(ip))
                {
                    p.status = CtPacket.BAD_CHECKSUM;
                }
                return;
            case ICMP:
                icmp(l4, l4Length, whole, p);
                return;
            default:
                return;
        }
    }

    /** icmp_error and icmp_pkt_to_tuple. */
    private void icmp(final long l4, final int l4Length, final boolean whole, final CtPacket p)
    {
        if (l4Length < 8)
        {
            p.status = CtPacket.NO_TUPLE; // "short packet"
            return;
        }
        if (checksum && whole && Checksum.sum(l4, l4Length) != Checksum.VALID_SUM)
        {
            p.status = CtPacket.BAD_CHECKSUM;
            return;
        }
        final int type = Memory.getUnsignedByte(l4);
        final int code = Memory.getUnsignedByte(l4 + 1);
        p.icmpType = type;
        p.icmpCode = code;
        if (type > NR_ICMP_TYPES)
        {
            p.status = CtPacket.NO_TUPLE; // "invalid icmp type"
            return;
        }
        final CtKey key = p.key;
        key.srcPort = Memory.getShortBE(l4 + 4);
        key.dstPort = type << 8 | code;
        if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
        {
            p.icmpError = true;
            if (!innerIpv4(l4 + 8, l4Length - 8, key.zone, p.inner))
            {
                p.status = CtPacket.BAD_INNER;
            }
        }
    }

    /** nf_ct_get_tuplepr on the packet embedded in an ICMP error: its IPv4 header and the first bytes of its L4 header. */
    private static boolean innerIpv4(final long ip, final int available, final int zone, final CtKey inner)
    {
        if (available < Ipv4Flyweight.MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int headerLength = Ipv4Flyweight.getHeaderLength(ip);
        if (headerLength < Ipv4Flyweight.MIN_HEADER_LENGTH || headerLength > available)
        {
            return false;
        }
        if ((Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET) & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) != 0)
        {
            return false;
        }
        final int protocol = Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET);
        inner.ipv4(zone, protocol, Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET), Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET),
            0, 0);
        return innerL4(protocol, ICMP, ip + headerLength, available - headerLength, inner);
    }

    /** Fills {@code p} from the IPv6 packet at {@code ip}. */
    public void ipv6(final long ip, final int segmentBytes, final int zone, final CtPacket p)
    {
        final int payloadLength = Ipv6Flyweight.getPayloadLength(ip);
        p.status = CtPacket.OK;
        p.icmpError = false;
        p.icmpType = -1;
        p.l3Length = payloadLength + Ipv6Flyweight.HEADER_LENGTH;
        p.outerDstHi = Ipv6Flyweight.getDstAddressHi(ip);
        p.outerDstLo = Ipv6Flyweight.getDstAddressLo(ip);
        final CtKey key = p.key;
        final int end = Ipv6Flyweight.HEADER_LENGTH + payloadLength;
        final long skipped = Ipv6Flyweight.skipExtensionHeaders(ip, end);
        final int offset = Ipv6Flyweight.upperLayerOffset(skipped);
        final int protocol = Ipv6Flyweight.upperLayerProtocol(skipped);
        key.ipv6(zone, protocol, Ipv6Flyweight.getSrcAddressHi(ip), Ipv6Flyweight.getSrcAddressLo(ip), p.outerDstHi, p.outerDstLo, 0, 0);
        if (offset < 0)
        {
            p.status = CtPacket.NO_TUPLE; // a non-first fragment, or extension headers beyond the packet
            return;
        }
        final long l4 = ip + offset;
        final int l4Length = end - offset;
        p.l4 = l4;
        p.l4Length = l4Length;
        final boolean whole = p.l3Length <= segmentBytes;
        switch (protocol)
        {
            case TCP:
            case UDP:
                if (l4Length < 4)
                {
                    p.status = CtPacket.NO_TUPLE;
                    return;
                }
                key.srcPort = Memory.getShortBE(l4);
                key.dstPort = Memory.getShortBE(l4 + 2);
                // udp_error: a zero UDP checksum is not checked (as for IPv4; Linux's conntrack does not refuse it).
                if (checksum && whole && (protocol == TCP ? l4Length >= 20 && !Checksum.isTcpIpv6Valid(ip, l4)
                    : l4Length >= 8 && Memory.getShortBE(l4 + 6) != 0 && !Checksum.isUdpIpv6Valid(ip, l4)))
                {
                    p.status = CtPacket.BAD_CHECKSUM;
                }
                return;
            case ICMPV6:
                icmpv6(ip, l4, l4Length, whole, p);
                return;
            default:
                return;
        }
    }

    /** icmpv6_error and icmpv6_pkt_to_tuple. */
    private void icmpv6(final long ip, final long l4, final int l4Length, final boolean whole, final CtPacket p)
    {
        if (l4Length < 8)
        {
            p.status = CtPacket.NO_TUPLE;
            return;
        }
        if (checksum && whole && !Checksum.isIcmpv6Valid(ip, l4))
        {
            p.status = CtPacket.BAD_CHECKSUM;
            return;
        }
        final int type = Memory.getUnsignedByte(l4);
        final int code = Memory.getUnsignedByte(l4 + 1);
        p.icmpType = type;
        p.icmpCode = code;
        if (type == 130 || type == 131 || type == 132 || type == 133 || type == 134 || type == 135 || type == 136 || type == 143)
        {
            p.status = CtPacket.UNTRACKED; // noct_valid_new: MLD and neighbour discovery are never tracked
            return;
        }
        final CtKey key = p.key;
        key.srcPort = Memory.getShortBE(l4 + 4);
        key.dstPort = type << 8 | code;
        if (type < 128)
        {
            p.icmpError = true;
            if (!innerIpv6(l4 + 8, l4Length - 8, key.zone, p.inner))
            {
                p.status = CtPacket.BAD_INNER;
            }
        }
    }

    private boolean innerIpv6(final long ip, final int available, final int zone, final CtKey inner)
    {
        if (available < Ipv6Flyweight.HEADER_LENGTH)
        {
            return false;
        }
        final long skipped = Ipv6Flyweight.skipExtensionHeaders(ip, available);
        final int offset = Ipv6Flyweight.upperLayerOffset(skipped);
        final int protocol = Ipv6Flyweight.upperLayerProtocol(skipped);
        inner.ipv6(zone, protocol, Ipv6Flyweight.getSrcAddressHi(ip), Ipv6Flyweight.getSrcAddressLo(ip), Ipv6Flyweight.getDstAddressHi(ip),
            Ipv6Flyweight.getDstAddressLo(ip), 0, 0);
        return offset >= 0 && innerL4(protocol, ICMPV6, ip + offset, available - offset, inner);
    }

    /**
     * The quoted packet's ports (TCP, UDP) or ICMP identifier and type/code ({@code icmpProtocol}: ICMP or
     * ICMPv6, the family's own), as {@code nf_ct_get_tuple} takes them; false when the quote is too short for them.
     */
    private static boolean innerL4(final int protocol, final int icmpProtocol, final long l4, final int available, final CtKey inner)
    {
        if (protocol == TCP || protocol == UDP)
        {
            if (available < 4)
            {
                return false;
            }
            inner.srcPort = Memory.getShortBE(l4);
            inner.dstPort = Memory.getShortBE(l4 + 2);
            return true;
        }
        if (protocol == icmpProtocol)
        {
            if (available < 8)
            {
                return false;
            }
            inner.srcPort = Memory.getShortBE(l4 + 4);
            inner.dstPort = Memory.getUnsignedByte(l4) << 8 | Memory.getUnsignedByte(l4 + 1);
            return true;
        }
        return true;
    }
}
