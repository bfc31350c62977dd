package io.flowgate.pipeline.conntrack.diff;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One conntrack entry, normalized so that Linux's ({@code conntrack -L -o extended}) and flowgate's
 * ({@link CtEntry}) compare field by field.
 *
 * @param l3             {@code ipv4} / {@code ipv6}
 * @param l3Number       2 / 10 (the address family numbers conntrack prints)
 * @param l4             {@code tcp}, {@code udp}, {@code icmp}, ... and {@code unknown} for protocols without a tracker
 * @param l4Number       IP protocol number
 * @param tcpState       TCP state name ({@link TcpState#name}), null for other protocols
 * @param flags          the bracketed flags conntrack prints: ASSURED, UNREPLIED (SEEN_REPLY clear), OFFLOAD, HW_OFFLOAD;
 *                       and the status bits it only filters by: EXPECTED, FIXED_TIMEOUT
 * @param timeoutSeconds seconds left, as conntrack prints it
 * @param status         the whole status word ({@link CtStatus} bits, Linux's values; Linux's from ctnetlink), -1 when unknown
 */
public record CtRow(String l3, int l3Number, String l4, int l4Number, Tuple original, Tuple reply, String tcpState,
                    Set<String> flags, long timeoutSeconds, long origPackets, long origBytes, long replyPackets, long replyBytes,
                    long mark, int zone, int status)
{
    /** The same entry with the status word (and the flags it implies that conntrack -L does not print) known. */
    public CtRow withStatus(final int status)
    {
        final Set<String> more = new TreeSet<>(flags);
        if ((status & CtStatus.EXPECTED) != 0)
        {
            more.add("EXPECTED");
        }
        if ((status & CtStatus.FIXED_TIMEOUT) != 0)
        {
            more.add("FIXED_TIMEOUT");
        }
        return new CtRow(l3, l3Number, l4, l4Number, original, reply, tcpState, more, timeoutSeconds, origPackets, origBytes, replyPackets,
            replyBytes, mark, zone, status);
    }

    /** A tuple; fields a protocol does not have are -1 (ports for ICMP, type/code/id for TCP, all for generic). */
    public record Tuple(String src, String dst, int sport, int dport, int type, int code, int id)
    {
        @Override
        public String toString()
        {
            final StringBuilder out = new StringBuilder("src=").append(src).append(" dst=").append(dst);
            if (sport >= 0)
            {
                out.append(" sport=").append(sport).append(" dport=").append(dport);
            }
            if (type >= 0)
            {
                out.append(" type=").append(type).append(" code=").append(code).append(" id=").append(id);
            }
            return out.toString();
        }
    }

    /** The key entries are matched by: protocol and original tuple (zone too). */
    public String key()
    {
        return l3 + " " + l4Number + " zone=" + zone + " " + original;
    }

    /** The entry as {@code conntrack -L -o extended} would print it (counters always shown). */
    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder();
        out.append(l3).append(' ').append(l3Number).append(' ').append(l4).append(' ').append(l4Number).append(' ')
            .append(timeoutSeconds).append(' ');
        if (tcpState != null)
        {
            out.append(tcpState).append(' ');
        }
        out.append(original).append(" packets=").append(origPackets).append(" bytes=").append(origBytes).append(' ');
        if (flags.contains("UNREPLIED"))
        {
            out.append("[UNREPLIED] ");
        }
        out.append(reply).append(" packets=").append(replyPackets).append(" bytes=").append(replyBytes).append(' ');
        for (final String flag : flags)
        {
            if (!flag.equals("UNREPLIED"))
            {
                out.append('[').append(flag).append("] ");
            }
        }
        out.append("mark=").append(mark).append(" zone=").append(zone);
        if (status >= 0)
        {
            out.append(" status=").append(CtStatus.names(status));
        }
        return out.toString();
    }

    /** Parses one line of {@code conntrack -L -o extended} (or {@code /proc/net/nf_conntrack}). */
    public static CtRow parse(final String line)
    {
        final String[] tokens = line.trim().split("\\s+");
        final String l3 = tokens[0];
        final int l3Number = Integer.parseInt(tokens[1]);
        final String l4 = tokens[2];
        final int l4Number = Integer.parseInt(tokens[3]);
        final long timeout = Long.parseLong(tokens[4]);
        int at = 5;
        String tcpState = null;
        if (at < tokens.length && !tokens[at].contains("=") && !tokens[at].startsWith("["))
        {
            tcpState = tokens[at++];
        }
        final Set<String> flags = new TreeSet<>();
        final long[][] counters = new long[2][2];
        final List<String[]> tuples = new ArrayList<>();
        long mark = 0;
        int zone = 0;
        int status = -1;
        String[] current = null;
        for (; at < tokens.length; at++)
        {
            final String token = tokens[at];
            if (token.startsWith("["))
            {
                flags.add(token.substring(1, token.length() - 1));
                continue;
            }
            final int eq = token.indexOf('=');
            if (eq < 0)
            {
                continue;
            }
            final String key = token.substring(0, eq);
            final String value = token.substring(eq + 1);
            switch (key)
            {
                case "src" ->
                {
                    current = new String[] {value, null, "-1", "-1", "-1", "-1", "-1"};
                    tuples.add(current);
                }
                case "dst" -> current[1] = value;
                case "sport" -> current[2] = value;
                case "dport" -> current[3] = value;
                case "type" -> current[4] = value;
                case "code" -> current[5] = value;
                case "id" ->
                {
                    if (current != null && tuples.size() <= 2 && current[6].equals("-1") && current[4] != null && !current[4].equals("-1"))
                    {
                        current[6] = value;
                    }
                }
                case "packets" -> counters[tuples.size() - 1][0] = Long.parseLong(value);
                case "bytes" -> counters[tuples.size() - 1][1] = Long.parseLong(value);
                case "mark" -> mark = Long.parseLong(value);
                case "zone" -> zone = Integer.parseInt(value);
                case "status" -> status = statusOf(value);
                default ->
                {
                }
            }
        }
        if (tuples.size() != 2)
        {
            throw new IllegalArgumentException("not a conntrack entry line: " + line);
        }
        return new CtRow(l3, l3Number, l4, l4Number, tuple(tuples.get(0)), tuple(tuples.get(1)), tcpState, flags, timeout,
            counters[0][0], counters[0][1], counters[1][0], counters[1][1], mark, zone, status);
    }

    private static int statusOf(final String names)
    {
        int status = 0;
        for (int bit = 0; bit < 16; bit++)
        {
            for (final String name : names.split(","))
            {
                if (!name.isEmpty() && name.equals(CtStatus.names(1 << bit)))
                {
                    status |= 1 << bit;
                }
            }
        }
        return status;
    }

    /** The tuple of a protocol from raw fields (-1 where absent), as conntrack and ctnetlink give them. */
    static Tuple tupleOf(final int protocol, final String src, final String dst, final int sport, final int dport, final int type,
                         final int code, final int id)
    {
        return switch (protocol)
        {
            case 6, 17, 33, 132, 136 -> new Tuple(src, dst, sport, dport, -1, -1, -1);
            case 1, 58 -> new Tuple(src, dst, -1, -1, type, code, id);
            default -> new Tuple(src, dst, -1, -1, -1, -1, -1);
        };
    }

    private static Tuple tuple(final String[] f)
    {
        return new Tuple(f[0], f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5]),
            Integer.parseInt(f[6]));
    }

    /** flowgate's entry in the same terms ({@link CtEntry}: ports as in {@code CtKey}, ICMP id in srcPort and type/code in dstPort). */
    public static CtRow of(final CtEntry e)
    {
        final boolean v4 = e.family == CtRecord.FAMILY_IPV4;
        final Set<String> flags = new TreeSet<>();
        if ((e.status & CtStatus.SEEN_REPLY) == 0)
        {
            flags.add("UNREPLIED");
        }
        if ((e.status & CtStatus.ASSURED) != 0)
        {
            flags.add("ASSURED");
        }
        if ((e.status & CtStatus.EXPECTED) != 0)
        {
            flags.add("EXPECTED");
        }
        if ((e.status & CtStatus.FIXED_TIMEOUT) != 0)
        {
            flags.add("FIXED_TIMEOUT");
        }
        if ((e.status & CtStatus.OFFLOAD) != 0)
        {
            flags.add("OFFLOAD");
        }
        if ((e.status & CtStatus.HW_OFFLOAD) != 0)
        {
            flags.add("HW_OFFLOAD");
        }
        return new CtRow(v4 ? "ipv4" : "ipv6", v4 ? 2 : 10, l4Name(e.protocol), e.protocol, tupleOf(e, 0, v4), tupleOf(e, 1, v4),
            e.protocol == 6 ? TcpState.name(e.tcpState) : null, flags, e.timeoutSeconds, e.packets[0], e.bytes[0], e.packets[1],
            e.bytes[1], e.mark & 0xFFFF_FFFFL, e.zone, e.status);
    }

    private static Tuple tupleOf(final CtEntry e, final int dir, final boolean v4)
    {
        final int dport = e.dstPort[dir];
        return tupleOf(e.protocol, address(e.srcHi[dir], e.srcLo[dir], v4), address(e.dstHi[dir], e.dstLo[dir], v4), e.srcPort[dir],
            dport, dport >>> 8 & 0xFF, dport & 0xFF, e.srcPort[dir]);
    }

    /** The protocol names conntrack-tools print (protocols without a Linux tracker print as {@code unknown}). */
    public static String l4Name(final int protocol)
    {
        return switch (protocol)
        {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 33 -> "dccp";
            case 47 -> "gre";
            case 58 -> "icmpv6";
            case 132 -> "sctp";
            case 136 -> "udplite";
            default -> "unknown";
        };
    }

    private static String address(final long hi, final long lo, final boolean v4)
    {
        if (v4)
        {
            return PacketBuilder.dotted(lo & 0xFFFF_FFFFL);
        }
        // conntrack -L prints inet_ntop's form (fd77:1::2), not Java's (fd77:1:0:0:0:0:0:2).
        return PacketBuilder.ntop6(ByteBuffer.allocate(16).putLong(hi).putLong(lo).array(), 0);
    }
}
