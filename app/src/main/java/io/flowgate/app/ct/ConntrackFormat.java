package io.flowgate.app.ct;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The text conntrack-tools 1.4.7 prints, byte for byte: the entry lines of {@code conntrack -L/-G/-D}
 * (libnetfilter_conntrack's default snprintf), the event lines of {@code -E}, the per-cpu lines of {@code -S}
 * and the summary messages on stderr. Control plane only: allocates freely.
 * <p>
 * Field order of an entry line (libnetfilter_conntrack {@code __snprintf_conntrack_default}):
 * <pre>
 *   [event type %9s] [l3 name %-8s l3 num] l4 name %-8s l4 num  timeout  [tcp state]
 *   orig: src= dst= sport= dport= | type= code= id=   [packets= bytes=]   [UNREPLIED]
 *   reply: src= dst= ...                               [packets= bytes=]
 *   [ASSURED|OFFLOAD|HW_OFFLOAD]  mark=  [zone=]  [delta-time= [start=...]]  [use=]  [id=]
 * </pre>
 * Which attributes appear follows what the kernel puts in the message: a dump or get carries counters,
 * mark and use; NEW/UPDATE events carry neither counters nor use, and mark only when it is not 0; DESTROY
 * events add the counters. Zone appears only when it is not 0 (the kernel omits the default zone).
 */
public final class ConntrackFormat
{
    /** The program prefix of conntrack's messages, kept so that scripts matching it keep working. */
    public static final String PROGRAM = "conntrack v1.4.7 (conntrack-tools)";

    /** {@code -o extended}: the layer-3 prefix ({@code ipv4     2 }). */
    public static final int EXTENDED = 1;
    /** {@code -o id}: {@code id=} at the end. */
    public static final int ID = 1 << 1;
    /** {@code -o timestamp}: events start with {@code [sec.usec]\t}. */
    public static final int TIMESTAMP = 1 << 2;
    /** {@code -o ktimestamp}: {@code delta-time=} and {@code [start=...]}. */
    public static final int KTIMESTAMP = 1 << 3;

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int IPPROTO_ICMP = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    private static final int IPPROTO_DCCP = 33;
    private static final int IPPROTO_GRE = 47;
    private static final int IPPROTO_ICMPV6 = 58;
    private static final int IPPROTO_SCTP = 132;
    private static final int IPPROTO_UDPLITE = 136;

    /** ctime(3) without its newline, in the local time zone as conntrack prints it. */
    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);

    private ConntrackFormat()
    {
    }

    /** libnetfilter_conntrack's {@code __proto2str}. */
    public static String protocolName(final int protocol)
    {
        return switch (protocol)
        {
            case IPPROTO_TCP -> "tcp";
            case IPPROTO_UDP -> "udp";
            case IPPROTO_UDPLITE -> "udplite";
            case IPPROTO_ICMP -> "icmp";
            case IPPROTO_ICMPV6 -> "icmpv6";
            case IPPROTO_SCTP -> "sctp";
            case IPPROTO_GRE -> "gre";
            case IPPROTO_DCCP -> "dccp";
            default -> "unknown";
        };
    }

    /** The protocol number of a name as {@code conntrack -p} accepts it (name or number), -1 when none. */
    public static int protocolNumber(final String name)
    {
        for (final int protocol : new int[] {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_ICMP, IPPROTO_ICMPV6,
            IPPROTO_SCTP, IPPROTO_GRE, IPPROTO_DCCP})
        {
            if (protocolName(protocol).equalsIgnoreCase(name))
            {
                return protocol;
            }
        }
        try
        {
            final int number = Integer.parseInt(name);
            return number >= 0 && number <= 255 ? number : -1;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** One {@code conntrack -L} line (no newline); {@code use} is the reference count shown (1 for a dump, 2 for a get). */
    public static String entry(final CtEntry entry, final int flags, final int use)
    {
        final StringBuilder out = new StringBuilder(256);
        appendEntry(out, entry, flags, 0, use);
        return out.toString();
    }

    /** One {@code conntrack -E} line (no newline), with the {@code -o timestamp} prefix when asked for. */
    public static String event(final CtEvent event, final int flags)
    {
        final StringBuilder out = new StringBuilder(256);
        if ((flags & TIMESTAMP) != 0)
        {
            // conntrack prints "[%-8ld.%-6ld]\t": the microseconds left-justified, not zero-padded.
            final String seconds = Long.toString(Math.floorDiv(event.timestampMicros, 1_000_000L));
            final String micros = Long.toString(Math.floorMod(event.timestampMicros, 1_000_000L));
            out.append('[');
            pad(out.append(seconds), 8 - seconds.length());
            out.append('.');
            pad(out.append(micros), 6 - micros.length());
            out.append("]\t");
        }
        appendEntry(out, event.entry, flags, event.type, 0);
        return out.toString();
    }

    private static void appendEntry(final StringBuilder out, final CtEntry entry, final int flags, final int eventType, final int use)
    {
        if (eventType != 0)
        {
            final String tag = "[" + CtEvent.typeName(eventType) + "]";
            pad(out, 9 - tag.length()).append(tag).append(' ');
        }
        final boolean ipv6 = entry.family == CtRecord.FAMILY_IPV6;
        if ((flags & EXTENDED) != 0)
        {
            padRight(out, ipv6 ? "ipv6" : "ipv4", 8).append(' ').append(ipv6 ? AF_INET6 : AF_INET).append(' ');
        }
        padRight(out, protocolName(entry.protocol), 8).append(' ').append(entry.protocol).append(' ');
        out.append(entry.timeoutSeconds).append(' ');
        if (entry.protocol == IPPROTO_TCP)
        {
            out.append(entry.tcpState >= 0 && entry.tcpState < TcpState.MAX ? TcpState.name(entry.tcpState) : "NONE").append(' ');
        }
        final boolean destroy = eventType == CtEvent.DESTROY;
        final boolean counters = eventType == 0 || destroy;
        appendTuple(out, entry, 0);
        if (counters)
        {
            out.append("packets=").append(Long.toUnsignedString(entry.packets[0]))
                .append(" bytes=").append(Long.toUnsignedString(entry.bytes[0])).append(' ');
        }
        if ((entry.status & CtStatus.SEEN_REPLY) == 0)
        {
            out.append("[UNREPLIED] ");
        }
        appendTuple(out, entry, 1);
        if (counters)
        {
            out.append("packets=").append(Long.toUnsignedString(entry.packets[1]))
                .append(" bytes=").append(Long.toUnsignedString(entry.bytes[1])).append(' ');
        }
        if ((entry.status & CtStatus.HW_OFFLOAD) != 0)
        {
            out.append("[HW_OFFLOAD] ");
        }
        else if ((entry.status & CtStatus.OFFLOAD) != 0)
        {
            out.append("[OFFLOAD] ");
        }
        else if ((entry.status & CtStatus.ASSURED) != 0)
        {
            out.append("[ASSURED] ");
        }
        if (eventType == 0 || entry.mark != 0)
        {
            out.append("mark=").append(Integer.toUnsignedString(entry.mark)).append(' ');
        }
        if (entry.zone != 0)
        {
            out.append("zone=").append(entry.zone).append(' ');
        }
        if ((flags & KTIMESTAMP) != 0 && entry.startSeconds != 0 && (eventType == 0 || destroy))
        {
            final long now = System.currentTimeMillis() / 1000;
            out.append("delta-time=").append(Math.max(0, now - entry.startSeconds)).append(' ');
            out.append("[start=").append(CTIME.format(Instant.ofEpochSecond(entry.startSeconds).atZone(ZoneId.systemDefault())))
                .append("] ");
        }
        if ((entry.status & CtStatus.HELPER) != 0)
        {
            // CTA_HELP: flowgate's helpers are FTP (TCP) and TFTP (UDP), so the protocol names the helper.
            out.append("helper=").append(entry.protocol == 6 ? "ftp" : "tftp").append(' ');
        }
        if (use > 0)
        {
            out.append("use=").append(use).append(' ');
        }
        if ((flags & ID) != 0 && eventType == 0)
        {
            out.append("id=").append(entry.id()).append(' ');
        }
        out.setLength(out.length() - 1);
    }

    private static void appendTuple(final StringBuilder out, final CtEntry entry, final int dir)
    {
        out.append("src=");
        address(out, entry.family, entry.srcHi[dir], entry.srcLo[dir]);
        out.append(" dst=");
        address(out, entry.family, entry.dstHi[dir], entry.dstLo[dir]);
        out.append(' ');
        switch (entry.protocol)
        {
            case IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_SCTP, IPPROTO_DCCP ->
                out.append("sport=").append(entry.srcPort[dir] & 0xFFFF).append(" dport=").append(entry.dstPort[dir] & 0xFFFF).append(' ');
            case IPPROTO_GRE ->
                out.append("srckey=0x").append(Integer.toHexString(entry.srcPort[dir] & 0xFFFF))
                    .append(" dstkey=0x").append(Integer.toHexString(entry.dstPort[dir] & 0xFFFF)).append(' ');
            case IPPROTO_ICMP, IPPROTO_ICMPV6 ->
                out.append("type=").append(entry.dstPort[dir] >>> 8 & 0xFF).append(" code=").append(entry.dstPort[dir] & 0xFF)
                    .append(" id=").append(entry.srcPort[dir] & 0xFFFF).append(' ');
            default ->
            {
            }
        }
    }

    /** An address as conntrack prints it: dotted quad, or IPv6 as glibc's inet_ntop writes it. */
    public static String address(final int family, final long hi, final long lo)
    {
        final StringBuilder out = new StringBuilder(40);
        address(out, family, hi, lo);
        return out.toString();
    }

    private static void address(final StringBuilder out, final int family, final long hi, final long lo)
    {
        if (family != CtRecord.FAMILY_IPV6)
        {
            ipv4(out, (int)lo);
            return;
        }
        final int[] words = new int[8];
        for (int i = 0; i < 4; i++)
        {
            words[i] = (int)(hi >>> (48 - 16 * i)) & 0xFFFF;
            words[4 + i] = (int)(lo >>> (48 - 16 * i)) & 0xFFFF;
        }
        // The longest run of at least two zero words becomes "::" (the first of equal runs), as inet_ntop does.
        int bestBase = -1;
        int bestLength = 0;
        for (int i = 0; i < 8; )
        {
            if (words[i] != 0)
            {
                i++;
                continue;
            }
            int end = i;
            while (end < 8 && words[end] == 0)
            {
                end++;
            }
            if (end - i > bestLength)
            {
                bestBase = i;
                bestLength = end - i;
            }
            i = end;
        }
        if (bestLength < 2)
        {
            bestBase = -1;
        }
        for (int i = 0; i < 8; i++)
        {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength)
            {
                if (i == bestBase)
                {
                    out.append(':');
                }
                continue;
            }
            if (i != 0)
            {
                out.append(':');
            }
            // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses end in a dotted quad.
            if (i == 6 && bestBase == 0 && (bestLength == 6 || bestLength == 5 && words[5] == 0xFFFF))
            {
                ipv4(out, (int)lo);
                return;
            }
            out.append(Integer.toHexString(words[i]));
        }
        if (bestBase >= 0 && bestBase + bestLength == 8)
        {
            out.append(':');
        }
    }

    private static void ipv4(final StringBuilder out, final int address)
    {
        out.append(address >>> 24).append('.').append(address >>> 16 & 0xFF).append('.').append(address >>> 8 & 0xFF).append('.')
            .append(address & 0xFF);
    }

    /**
     * One {@code conntrack -S} line: {@code cpu=%-4u\t} then the counters conntrack-tools 1.4.7 shows, each
     * followed by a space (the line ends in one).
     */
    public static String statsLine(final int cpu, final CtStats stats)
    {
        final StringBuilder out = new StringBuilder(200);
        final String number = Integer.toString(cpu);
        pad(out.append("cpu=").append(number), 4 - number.length()).append('\t');
        out.append("found=").append(stats.found).append(' ')
            .append("invalid=").append(stats.invalid).append(' ')
            .append("insert=").append(stats.insert).append(' ')
            .append("insert_failed=").append(stats.insertFailed).append(' ')
            .append("drop=").append(stats.drop).append(' ')
            .append("early_drop=").append(stats.earlyDrop).append(' ')
            .append("error=").append(stats.error).append(' ')
            .append("search_restart=").append(stats.searchRestart).append(' ')
            .append("clash_resolve=").append(stats.clashResolve).append(' ')
            .append("chaintoolong=").append(stats.chainTooLong).append(' ');
        return out.toString();
    }

    /** The stderr summary of a listing, deletion, update or event stream: {@code PROGRAM: N flow entries have been shown.} */
    public static String summary(final long count, final String verb)
    {
        return PROGRAM + ": " + count + " flow entries have been " + verb + ".";
    }

    public static String eventsSummary(final long count)
    {
        return PROGRAM + ": " + count + " flow events have been shown.";
    }

    public static String flushed()
    {
        return PROGRAM + ": connection tracking table has been emptied.";
    }

    public static String noSuchEntry()
    {
        return PROGRAM + ": Operation failed: such conntrack doesn't exist";
    }

    private static StringBuilder pad(final StringBuilder out, final int spaces)
    {
        for (int i = 0; i < spaces; i++)
        {
            out.append(' ');
        }
        return out;
    }

    private static StringBuilder padRight(final StringBuilder out, final String text, final int width)
    {
        return pad(out.append(text), width - text.length());
    }
}
