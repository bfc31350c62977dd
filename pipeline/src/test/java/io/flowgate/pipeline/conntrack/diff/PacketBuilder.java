package io.flowgate.pipeline.conntrack.diff;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Builds whole IPv4 and IPv6 packets (header and L4, correct IP and L4 checksums: Linux conntrack checks the L4
 * sum) for the differential corpus. The family follows the addresses: one with a colon makes an IPv6 packet
 * (no extension headers, hop limit 64). Test code only: allocates freely.
 */
public final class PacketBuilder
{
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_UNKNOWN = 253;
    public static final int PROTO_ICMPV6 = 58;

    private static int ipId = 1;

    private PacketBuilder()
    {
    }

    /** A TCP segment under construction; {@link #build()} returns the IP packet. */
    public static final class Tcp
    {
        private final String src;
        private final String dst;
        private final int sport;
        private final int dport;
        private long seq;
        private long ack;
        private int flags;
        private int window = 64240;
        private int mss = -1;
        private int wscale = -1;
        private boolean sackPerm;
        private long[] sackBlocks = new long[0];
        private int payload;
        private boolean badChecksum;
        private int dataOffsetWords = -1;

        Tcp(final String src, final String dst, final int sport, final int dport)
        {
            this.src = src;
            this.dst = dst;
            this.sport = sport;
            this.dport = dport;
        }

        public Tcp seq(final long seq)
        {
            this.seq = seq & 0xFFFF_FFFFL;
            return this;
        }

        public Tcp ack(final long ack)
        {
            this.ack = ack & 0xFFFF_FFFFL;
            return this;
        }

        public Tcp flags(final int flags)
        {
            this.flags = flags;
            return this;
        }

        public Tcp window(final int window)
        {
            this.window = window;
            return this;
        }

        public Tcp mss(final int mss)
        {
            this.mss = mss;
            return this;
        }

        /** Window scale option; negative leaves it out. */
        public Tcp wscale(final int shift)
        {
            this.wscale = shift;
            return this;
        }

        public Tcp sackPerm(final boolean sackPerm)
        {
            this.sackPerm = sackPerm;
            return this;
        }

        /** SACK blocks as left, right pairs. */
        public Tcp sack(final long... leftRight)
        {
            this.sackBlocks = leftRight.clone();
            return this;
        }

        public Tcp payload(final int length)
        {
            this.payload = length;
            return this;
        }

        public Tcp badChecksum()
        {
            this.badChecksum = true;
            return this;
        }

        /** Forces the data offset field (in 32-bit words), e.g. below 5 for a bogus header. */
        public Tcp dataOffset(final int words)
        {
            this.dataOffsetWords = words;
            return this;
        }

        public byte[] build()
        {
            final ByteArrayOutputStream opts = new ByteArrayOutputStream();
            if (mss >= 0)
            {
                opts.write(2);
                opts.write(4);
                opts.write(mss >> 8);
                opts.write(mss);
            }
            if (sackPerm)
            {
                opts.write(1);
                opts.write(1);
                opts.write(4);
                opts.write(2);
            }
            if (wscale >= 0)
            {
                opts.write(1);
                opts.write(3);
                opts.write(3);
                opts.write(wscale);
            }
            if (sackBlocks.length > 0)
            {
                opts.write(1);
                opts.write(1);
                opts.write(5);
                opts.write(2 + 4 * sackBlocks.length);
                for (final long edge : sackBlocks)
                {
                    put32(opts, edge);
                }
            }
            while (opts.size() % 4 != 0)
            {
                opts.write(1);
            }
            final byte[] options = opts.toByteArray();
            final int headerLength = 20 + options.length;
            final byte[] l4 = new byte[headerLength + payload];
            put16(l4, 0, sport);
            put16(l4, 2, dport);
            put32(l4, 4, seq);
            put32(l4, 8, ack);
            final int doff = dataOffsetWords >= 0 ? dataOffsetWords : headerLength / 4;
            l4[12] = (byte)(doff << 4);
            l4[13] = (byte)flags;
            put16(l4, 14, window);
            System.arraycopy(options, 0, l4, 20, options.length);
            fillPayload(l4, headerLength);
            final int sum = l4Checksum(src, dst, PROTO_TCP, l4);
            put16(l4, 16, badChecksum ? sum ^ 0x5A5A : sum);
            return ip(src, dst, PROTO_TCP, l4);
        }
    }

    public static Tcp tcp(final String src, final String dst, final int sport, final int dport)
    {
        return new Tcp(src, dst, sport, dport);
    }

    public static byte[] udp(final String src, final String dst, final int sport, final int dport, final int payload)
    {
        final byte[] l4 = new byte[8 + payload];
        put16(l4, 0, sport);
        put16(l4, 2, dport);
        put16(l4, 4, l4.length);
        fillPayload(l4, 8);
        int sum = l4Checksum(src, dst, PROTO_UDP, l4);
        put16(l4, 6, sum == 0 ? 0xFFFF : sum);
        return ip(src, dst, PROTO_UDP, l4);
    }

    /** ICMP echo request (type 8) or reply (type 0), or another query type (timestamp 13/14, ...). */
    public static byte[] icmpQuery(final String src, final String dst, final int type, final int id, final int sequence,
                                   final int payload)
    {
        final byte[] l4 = new byte[8 + payload];
        l4[0] = (byte)type;
        put16(l4, 4, id);
        put16(l4, 6, sequence);
        fillPayload(l4, 8);
        put16(l4, 2, checksum(l4, 0, l4.length, 0));
        return ipv4(src, dst, PROTO_ICMP, l4);
    }

    public static byte[] icmpEcho(final String src, final String dst, final int id, final int sequence, final int payload)
    {
        return icmpQuery(src, dst, 8, id, sequence, payload);
    }

    public static byte[] icmpEchoReply(final String src, final String dst, final int id, final int sequence, final int payload)
    {
        return icmpQuery(src, dst, 0, id, sequence, payload);
    }

    /**
     * An ICMP error (destination unreachable 3, time exceeded 11, ...) quoting the first {@code quoteLength}
     * bytes of {@code inner} (a whole IP packet; RFC 792 asks for its header and 8 bytes, Linux sends more).
     * For type 3 code 4 (fragmentation needed) the next-hop MTU is 1400.
     */
    public static byte[] icmpError(final String src, final String dst, final int type, final int code, final byte[] inner,
                                   final int quoteLength)
    {
        final int quoted = Math.min(quoteLength, inner.length);
        final byte[] l4 = new byte[8 + quoted];
        l4[0] = (byte)type;
        l4[1] = (byte)code;
        if (type == 3 && code == 4)
        {
            put16(l4, 6, 1400);
        }
        System.arraycopy(inner, 0, l4, 8, quoted);
        put16(l4, 2, checksum(l4, 0, l4.length, 0));
        return ipv4(src, dst, PROTO_ICMP, l4);
    }

    /** An IP packet of protocol {@code protocol} with {@code payload} bytes that mean nothing. */
    public static byte[] rawIp(final String src, final String dst, final int protocol, final int payload)
    {
        final byte[] l4 = new byte[payload];
        fillPayload(l4, 0);
        return ip(src, dst, protocol, l4);
    }

    /** ICMPv6 echo request (128) / reply (129) or another informational type. */
    public static byte[] icmp6Query(final String src, final String dst, final int type, final int id, final int sequence,
                                    final int payload)
    {
        final byte[] l4 = new byte[8 + payload];
        l4[0] = (byte)type;
        put16(l4, 4, id);
        put16(l4, 6, sequence);
        fillPayload(l4, 8);
        put16(l4, 2, l4Checksum(src, dst, PROTO_ICMPV6, l4));
        return ipv6(src, dst, PROTO_ICMPV6, l4, 64);
    }

    public static byte[] icmp6Echo(final String src, final String dst, final int id, final int sequence, final int payload)
    {
        return icmp6Query(src, dst, 128, id, sequence, payload);
    }

    public static byte[] icmp6EchoReply(final String src, final String dst, final int id, final int sequence, final int payload)
    {
        return icmp6Query(src, dst, 129, id, sequence, payload);
    }

    /**
     * An ICMPv6 error (destination unreachable 1, packet too big 2, time exceeded 3, parameter problem 4) quoting
     * the first {@code quoteLength} bytes of {@code inner} (a whole IPv6 packet; RFC 4443 quotes as much as fits in
     * 1280 bytes). Packet too big carries MTU 1280.
     */
    public static byte[] icmp6Error(final String src, final String dst, final int type, final int code, final byte[] inner,
                                    final int quoteLength)
    {
        final int quoted = Math.min(Math.min(quoteLength, inner.length), 1280 - 40 - 8);
        final byte[] l4 = new byte[8 + quoted];
        l4[0] = (byte)type;
        l4[1] = (byte)code;
        if (type == 2)
        {
            put32(l4, 4, 1280);
        }
        System.arraycopy(inner, 0, l4, 8, quoted);
        put16(l4, 2, l4Checksum(src, dst, PROTO_ICMPV6, l4));
        return ipv6(src, dst, PROTO_ICMPV6, l4, 64);
    }

    /** A neighbour solicitation (135, hop limit 255) for {@code target} with a source link-layer address option. */
    public static byte[] neighbourSolicitation(final String src, final String dst, final String target, final byte[] sourceMac)
    {
        final byte[] l4 = new byte[24 + 8];
        l4[0] = (byte)135;
        System.arraycopy(address6(target), 0, l4, 8, 16);
        l4[24] = 1;
        l4[25] = 1;
        System.arraycopy(sourceMac, 0, l4, 26, 6);
        put16(l4, 2, l4Checksum(src, dst, PROTO_ICMPV6, l4));
        return ipv6(src, dst, PROTO_ICMPV6, l4, 255);
    }

    /**
     * The IPv6 packet with an empty destination options header (PadN) inserted before its upper layer; the
     * upper-layer checksum stays valid (its pseudo-header does not cover extension headers).
     */
    public static byte[] withDestinationOptions(final byte[] packet)
    {
        final byte[] out = new byte[packet.length + 8];
        System.arraycopy(packet, 0, out, 0, 40);
        out[40] = packet[6];
        out[41] = 0;
        out[42] = 1;
        out[43] = 4;
        System.arraycopy(packet, 40, out, 48, packet.length - 40);
        out[6] = 60;
        put16(out, 4, out.length - 40);
        return out;
    }

    /** IPv4 or IPv6 by the addresses' form. */
    public static byte[] ip(final String src, final String dst, final int protocol, final byte[] l4)
    {
        return isV6(src) ? ipv6(src, dst, protocol, l4, 64) : ipv4(src, dst, protocol, l4);
    }

    /** An IPv6 header (40 bytes, traffic class and flow label 0) in front of {@code l4}. */
    public static byte[] ipv6(final String src, final String dst, final int nextHeader, final byte[] l4, final int hopLimit)
    {
        final byte[] packet = new byte[40 + l4.length];
        packet[0] = 0x60;
        put16(packet, 4, l4.length);
        packet[6] = (byte)nextHeader;
        packet[7] = (byte)hopLimit;
        System.arraycopy(address6(src), 0, packet, 8, 16);
        System.arraycopy(address6(dst), 0, packet, 24, 16);
        System.arraycopy(l4, 0, packet, 40, l4.length);
        return packet;
    }

    static boolean isV6(final String address)
    {
        return address.indexOf(':') >= 0;
    }

    /** The 16 bytes of an IPv6 literal. */
    public static byte[] address6(final String literal)
    {
        try
        {
            final byte[] bytes = java.net.InetAddress.getByName(literal).getAddress();
            if (bytes.length != 16)
            {
                throw new IllegalArgumentException("not an IPv6 address: " + literal);
            }
            return bytes;
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalArgumentException(literal, ex);
        }
    }

    /** An IPv6 address as inet_ntop (and so conntrack -L) prints it: lower-case hex, the longest run of two or more zero groups as ::. */
    public static String ntop6(final byte[] a, final int at)
    {
        final int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = get16(a, at + 2 * i);
        }
        int bestStart = -1;
        int bestLength = 0;
        for (int i = 0; i < 8; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        if (bestLength < 2)
        {
            bestStart = -1;
        }
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!out.isEmpty() && out.charAt(out.length() - 1) != ':')
            {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    /** The first {@code length} bytes of an IP packet, with total length and header checksum fixed to match. */
    public static byte[] truncate(final byte[] packet, final int length)
    {
        final byte[] out = Arrays.copyOf(packet, length);
        put16(out, 2, length);
        out[10] = 0;
        out[11] = 0;
        put16(out, 10, checksum(out, 0, 20, 0));
        return out;
    }

    /** An IPv4 header (20 bytes, TTL 64, DF clear, TOS 0) in front of {@code l4}. */
    public static byte[] ipv4(final String src, final String dst, final int protocol, final byte[] l4)
    {
        final byte[] packet = new byte[20 + l4.length];
        packet[0] = 0x45;
        put16(packet, 2, packet.length);
        put16(packet, 4, nextId());
        packet[8] = 64;
        packet[9] = (byte)protocol;
        put32(packet, 12, address(src));
        put32(packet, 16, address(dst));
        put16(packet, 10, checksum(packet, 0, 20, 0));
        System.arraycopy(l4, 0, packet, 20, l4.length);
        return packet;
    }

    private static synchronized int nextId()
    {
        ipId = ipId % 0xFFFF + 1;
        return ipId;
    }

    public static long address(final String dotted)
    {
        final String[] parts = dotted.split("\\.");
        long value = 0;
        for (final String part : parts)
        {
            value = value << 8 | Integer.parseInt(part);
        }
        return value;
    }

    public static String dotted(final long address)
    {
        return (address >>> 24 & 0xFF) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }

    /** A one-line description of a packet for reports, e.g. {@code TCP 10.77.1.2:40001 > 10.77.2.2:80 [SYN] seq=1000 ...}. */
    public static String describe(final byte[] p)
    {
        if (p.length > 0 && (p[0] & 0xF0) == 0x60)
        {
            return describe6(p);
        }
        if (p.length < 20)
        {
            return "runt IP packet of " + p.length + " bytes";
        }
        final int ihl = (p[0] & 0xF) * 4;
        final int protocol = p[9] & 0xFF;
        final String src = dotted(get32(p, 12));
        final String dst = dotted(get32(p, 16));
        final int l4Length = p.length - ihl;
        switch (protocol)
        {
            case PROTO_TCP:
                if (l4Length < 20)
                {
                    return "TCP " + src + " > " + dst + " truncated header (" + l4Length + " bytes)";
                }
                final int doff = (p[ihl + 12] & 0xF0) >> 2;
                return "TCP " + src + ":" + get16(p, ihl) + " > " + dst + ":" + get16(p, ihl + 2) + " [" +
                    flagNames(p[ihl + 13] & 0xFF) + "] seq=" + get32(p, ihl + 4) + " ack=" + get32(p, ihl + 8) + " win=" +
                    get16(p, ihl + 14) + tcpOptions(p, ihl, doff) + " len=" + Math.max(0, l4Length - doff);
            case PROTO_UDP:
                if (l4Length < 8)
                {
                    return "UDP " + src + " > " + dst + " truncated header (" + l4Length + " bytes)";
                }
                return "UDP " + src + ":" + get16(p, ihl) + " > " + dst + ":" + get16(p, ihl + 2) + " len=" + (l4Length - 8) +
                    " udplen=" + get16(p, ihl + 4);
            case PROTO_ICMP:
                if (l4Length < 8)
                {
                    return "ICMP " + src + " > " + dst + " truncated (" + l4Length + " bytes)";
                }
                final int type = p[ihl] & 0xFF;
                final int code = p[ihl + 1] & 0xFF;
                if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
                {
                    final byte[] inner = Arrays.copyOfRange(p, ihl + 8, p.length);
                    return "ICMP " + src + " > " + dst + " error type=" + type + " code=" + code + " quoting {" +
                        (inner.length >= 20 ? describeQuoted(inner) : inner.length + " bytes") + "}";
                }
                return "ICMP " + src + " > " + dst + " type=" + type + " code=" + code + " id=" + get16(p, ihl + 4) + " seq=" +
                    get16(p, ihl + 6);
            default:
                return "IP proto " + protocol + " " + src + " > " + dst + " len=" + l4Length;
        }
    }

    private static String describe6(final byte[] p)
    {
        if (p.length < 40)
        {
            return "runt IPv6 packet of " + p.length + " bytes";
        }
        final int next = p[6] & 0xFF;
        final String src = ntop6(p, 8);
        final String dst = ntop6(p, 24);
        final int l4Length = p.length - 40;
        if (next == PROTO_TCP && l4Length >= 20)
        {
            final int doff = (p[40 + 12] & 0xF0) >> 2;
            return "TCP6 [" + src + "]:" + get16(p, 40) + " > [" + dst + "]:" + get16(p, 42) + " [" + flagNames(p[53] & 0xFF) + "] seq=" +
                get32(p, 44) + " ack=" + get32(p, 48) + " win=" + get16(p, 54) + tcpOptions(p, 40, doff) + " len=" +
                Math.max(0, l4Length - doff);
        }
        if (next == PROTO_UDP && l4Length >= 8)
        {
            return "UDP6 [" + src + "]:" + get16(p, 40) + " > [" + dst + "]:" + get16(p, 42) + " len=" + (l4Length - 8);
        }
        if (next == PROTO_ICMPV6 && l4Length >= 8)
        {
            final int type = p[40] & 0xFF;
            final int code = p[41] & 0xFF;
            if (type < 128)
            {
                final byte[] inner = Arrays.copyOfRange(p, 48, p.length);
                return "ICMPv6 " + src + " > " + dst + " error type=" + type + " code=" + code + " quoting {" +
                    (inner.length >= 40 ? describe6(inner) : inner.length + " bytes") + "}";
            }
            return "ICMPv6 " + src + " > " + dst + " type=" + type + " code=" + code + " id=" + get16(p, 44) + " seq=" + get16(p, 46) +
                " hlim=" + (p[7] & 0xFF);
        }
        return "IPv6 next header " + next + " " + src + " > " + dst + " len=" + l4Length;
    }

    private static String describeQuoted(final byte[] inner)
    {
        final int ihl = (inner[0] & 0xF) * 4;
        final int protocol = inner[9] & 0xFF;
        final String head = "proto " + protocol + " " + dotted(get32(inner, 12)) + " > " + dotted(get32(inner, 16));
        if ((protocol == PROTO_TCP || protocol == PROTO_UDP) && inner.length >= ihl + 4)
        {
            return head + " ports " + get16(inner, ihl) + " > " + get16(inner, ihl + 2) + ", " + inner.length + " bytes";
        }
        return head + ", " + inner.length + " bytes";
    }

    private static String tcpOptions(final byte[] p, final int ihl, final int doff)
    {
        final StringBuilder out = new StringBuilder();
        int at = ihl + 20;
        final int end = Math.min(p.length, ihl + doff);
        while (at < end)
        {
            final int kind = p[at] & 0xFF;
            if (kind == 0)
            {
                break;
            }
            if (kind == 1)
            {
                at++;
                continue;
            }
            if (at + 1 >= end)
            {
                break;
            }
            final int length = p[at + 1] & 0xFF;
            if (length < 2)
            {
                break;
            }
            switch (kind)
            {
                case 2 -> out.append(" mss=").append(get16(p, at + 2));
                case 3 -> out.append(" wscale=").append(p[at + 2] & 0xFF);
                case 4 -> out.append(" sackOK");
                case 5 -> out.append(" sack=").append((length - 2) / 8);
                default -> out.append(" opt").append(kind);
            }
            at += length;
        }
        return out.toString();
    }

    public static String flagNames(final int flags)
    {
        final String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        final StringBuilder out = new StringBuilder();
        for (int bit = 0; bit < 8; bit++)
        {
            if ((flags & 1 << bit) != 0)
            {
                out.append(out.isEmpty() ? "" : ",").append(names[bit]);
            }
        }
        return out.isEmpty() ? "none" : out.toString();
    }

    static int l4Checksum(final String src, final String dst, final int protocol, final byte[] l4)
    {
        if (isV6(src))
        {
            final byte[] pseudo6 = new byte[40];
            System.arraycopy(address6(src), 0, pseudo6, 0, 16);
            System.arraycopy(address6(dst), 0, pseudo6, 16, 16);
            put32(pseudo6, 32, l4.length);
            pseudo6[39] = (byte)protocol;
            return checksum(l4, 0, l4.length, sum(pseudo6, 0, 40, 0));
        }
        final byte[] pseudo = new byte[12];
        put32(pseudo, 0, address(src));
        put32(pseudo, 4, address(dst));
        pseudo[9] = (byte)protocol;
        put16(pseudo, 10, l4.length);
        final int partial = sum(pseudo, 0, 12, 0);
        return checksum(l4, 0, l4.length, partial);
    }

    /** RFC 1071 Internet checksum of {@code bytes[from, from + length)} on top of an unfolded partial sum. */
    static int checksum(final byte[] bytes, final int from, final int length, final int partial)
    {
        int sum = sum(bytes, from, length, partial);
        while (sum >>> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }

    private static int sum(final byte[] bytes, final int from, final int length, final int partial)
    {
        long sum = partial & 0xFFFF_FFFFL;
        int i = from;
        for (; i + 1 < from + length; i += 2)
        {
            sum += (bytes[i] & 0xFF) << 8 | bytes[i + 1] & 0xFF;
        }
        if (i < from + length)
        {
            sum += (bytes[i] & 0xFF) << 8;
        }
        while (sum >>> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    private static void fillPayload(final byte[] bytes, final int from)
    {
        for (int i = from; i < bytes.length; i++)
        {
            bytes[i] = (byte)('a' + (i - from) % 26);
        }
    }

    static void put16(final byte[] bytes, final int at, final int value)
    {
        bytes[at] = (byte)(value >> 8);
        bytes[at + 1] = (byte)value;
    }

    static void put32(final byte[] bytes, final int at, final long value)
    {
        bytes[at] = (byte)(value >> 24);
        bytes[at + 1] = (byte)(value >> 16);
        bytes[at + 2] = (byte)(value >> 8);
        bytes[at + 3] = (byte)value;
    }

    private static void put32(final ByteArrayOutputStream out, final long value)
    {
        out.write((int)(value >> 24));
        out.write((int)(value >> 16));
        out.write((int)(value >> 8));
        out.write((int)value);
    }

    static int get16(final byte[] bytes, final int at)
    {
        return (bytes[at] & 0xFF) << 8 | bytes[at + 1] & 0xFF;
    }

    static long get32(final byte[] bytes, final int at)
    {
        return ((long)(bytes[at] & 0xFF) << 24 | (bytes[at + 1] & 0xFF) << 16 | (bytes[at + 2] & 0xFF) << 8 | bytes[at + 3] & 0xFF) &
            0xFFFF_FFFFL;
    }
}
