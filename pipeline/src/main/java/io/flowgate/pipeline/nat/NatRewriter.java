package io.flowgate.pipeline.nat;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;

/**
 * Rewrites IPv4 packets in place: Linux's {@code nf_nat_ipv4_manip_pkt} with the protocol parts of
 * nf_nat_proto.c, checksums updated incrementally (RFC 1624), and {@code nf_nat_icmp_reply_translation} for
 * ICMP errors.
 * <pre>
 *   IPv4: 9 protocol, 10 header checksum, 12 source, 16 destination
 *   TCP:  0 source port, 2 destination port, 16 checksum (pseudo-header: addresses)
 *   UDP:  0 source port, 2 destination port, 6 checksum (0: none, stays none; a computed 0 is sent as 0xFFFF)
 *   ICMP: 0 type, 2 checksum (no pseudo-header), 4 identifier of echo/timestamp/info/mask
 * </pre>
 * Static methods on absolute addresses: no allocation. The caller has checked the headers are present (the
 * conntrack parser refuses what is cut short, so a translated connection's packets are whole).
 */
public final class NatRewriter
{
    public static final int MANIP_SRC = 0;
    public static final int MANIP_DST = 1;

    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;

    private NatRewriter()
    {
    }

    /**
     * Sets the packet's source ({@code MANIP_SRC}) or destination address and port to {@code address}:{@code port}
     * (ICMP queries: the identifier becomes {@code port}, whatever the manip). {@code available} is the number of
     * bytes from the IPv4 header on; an embedded packet of an ICMP error may carry only 8 bytes of its transport
     * header, and then a TCP checksum (beyond them) is left alone, as Linux does.
     */
    public static void manip(final long ip, final int available, final int manip, final int address, final int port)
    {
        final int ihl = (Memory.getUnsignedByte(ip) & 0x0F) << 2;
        final int protocol = Memory.getUnsignedByte(ip + 9);
        final long addressAt = ip + (manip == MANIP_SRC ? 12 : 16);
        final int oldAddress = Memory.getIntBE(addressAt);
        final boolean firstFragment = (Memory.getShortBE(ip + 6) & 0x1FFF) == 0;
        final long l4 = ip + ihl;
        final int l4Bytes = available - ihl;
        if (firstFragment)
        {
            switch (protocol)
            {
                case TCP -> tcp(l4, l4Bytes, manip, oldAddress, address, port);
                case UDP -> udp(l4, l4Bytes, manip, oldAddress, address, port);
                case ICMP -> icmp(l4, l4Bytes, port);
                default -> { }
            }
        }
        setAddress(ip, manip, address);
    }

    private static void tcp(final long tcp, final int bytes, final int manip, final int oldAddress, final int address, final int port)
    {
        if (bytes < 8)
        {
            return;
        }
        final long portAt = tcp + (manip == MANIP_SRC ? 0 : 2);
        final int oldPort = Memory.getShortBE(portAt);
        Memory.putShortBE(portAt, port);
        if (bytes < 18)
        {
            return; // the quoted header of an ICMP error ends before the checksum
        }
        int sum = Memory.getShortBE(tcp + 16);
        sum = Checksum.adjust32(sum, oldAddress, address);
        sum = Checksum.adjust16(sum, oldPort, port);
        Memory.putShortBE(tcp + 16, sum);
    }

    private static void udp(final long udp, final int bytes, final int manip, final int oldAddress, final int address, final int port)
    {
        if (bytes < 8)
        {
            return;
        }
        final long portAt = udp + (manip == MANIP_SRC ? 0 : 2);
        final int oldPort = Memory.getShortBE(portAt);
        Memory.putShortBE(portAt, port);
        int sum = Memory.getShortBE(udp + 6);
        if (sum != Checksum.UDP_NO_CHECKSUM)
        {
            sum = Checksum.adjustUdp32(sum, oldAddress, address);
            sum = Checksum.adjustUdp16(sum, oldPort, port);
            Memory.putShortBE(udp + 6, sum);
        }
    }

    /** icmp_manip_pkt: the identifier of the query types; errors and others untouched. */
    private static void icmp(final long icmp, final int bytes, final int id)
    {
        if (bytes < 8 || !isQuery(Memory.getUnsignedByte(icmp)))
        {
            return;
        }
        final int oldId = Memory.getShortBE(icmp + 4);
        if (oldId != id)
        {
            Memory.putShortBE(icmp + 4, id);
            Memory.putShortBE(icmp + 2, Checksum.adjust16(Memory.getShortBE(icmp + 2), oldId, id));
        }
    }

    /** Echo, timestamp, information and address mask requests and replies: the types with an identifier. */
    public static boolean isQuery(final int type)
    {
        return type == 0 || type == 8 || (type >= 13 && type <= 18);
    }

    /** ICMP types that carry an offending packet: unreachable, source quench, redirect, time exceeded, parameter problem. */
    public static boolean isError(final int type)
    {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    /**
     * nf_nat_icmp_reply_translation's rewrite: the embedded packet (it travelled in the other direction) gets
     * {@code address}:{@code port} at the opposite manip, the ICMP checksum is computed again over the message,
     * and the error's own header gets {@code address} at {@code manip} (an address only: an error has no
     * identifier). {@code available} counts bytes from the outer IPv4 header.
     */
    public static void icmpError(final long ip, final int available, final int manip, final int address, final int port)
    {
        final int ihl = (Memory.getUnsignedByte(ip) & 0x0F) << 2;
        final long icmp = ip + ihl;
        final int icmpBytes = Math.min(Memory.getShortBE(ip + 2), available) - ihl;
        manip(icmp + 8, icmpBytes - 8, manip == MANIP_SRC ? MANIP_DST : MANIP_SRC, address, port);
        Memory.putShortBE(icmp + 2, 0);
        Memory.putShortBE(icmp + 2, Checksum.checksum(icmp, icmpBytes));
        setAddress(ip, manip, address);
    }

    /** The IPv4 source ({@code MANIP_SRC}) or destination becomes {@code address}, the header checksum follows. */
    private static void setAddress(final long ip, final int manip, final int address)
    {
        final long addressAt = ip + (manip == MANIP_SRC ? 12 : 16);
        final int oldAddress = Memory.getIntBE(addressAt);
        if (oldAddress != address)
        {
            Memory.putIntBE(addressAt, address);
            Memory.putShortBE(ip + 10, Checksum.adjust32(Memory.getShortBE(ip + 10), oldAddress, address));
        }
    }

    /** Whether the protocol has ports this rewriter translates (TCP, UDP). */
    public static boolean hasPorts(final int protocol)
    {
        return protocol == TCP || protocol == UDP;
    }
}
