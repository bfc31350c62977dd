package io.flowgate.app.ct;

import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.tcp.TcpState;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code flowgate ct ...} request parsed from conntrack-tools' options: the operation (by name, as
 * {@code list}, or by conntrack's letter, as {@code -L}), the filter, the output flags and the event mask.
 * The client parses it to refuse bad options before connecting; the server parses the same words again
 * (the wire carries the words, see docs/management-socket.md). Throws IllegalArgumentException with a
 * one-line reason for anything it does not accept.
 */
public final class CtRequest
{
    public enum Op
    {
        LIST, GET, DELETE, FLUSH, COUNT, STATS, EVENTS, UPDATE
    }

    public Op op;
    public final CtFilter filter = new CtFilter();
    /** ConntrackFormat flags from {@code -o}. */
    public int outputFlags;
    /** CtEvent bits from {@code -e}. */
    public int eventMask = CtEvent.ALL;
    /** The words to send to the server (without the client-only options). */
    public final List<String> words = new ArrayList<>();
    /** {@code --socket PATH} (client only). */
    public String socket;
    /** {@code --max-events N} (client only): stop the event stream after N events, 0 for never. */
    public long maxEvents;

    public static CtRequest parse(final List<String> args)
    {
        final CtRequest request = new CtRequest();
        final CtFilter filter = request.filter;
        for (int i = 0; i < args.size(); i++)
        {
            String arg = args.get(i);
            String inline = null;
            final int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0)
            {
                inline = arg.substring(equals + 1);
                arg = arg.substring(0, equals);
            }
            final Op op = opOf(arg);
            if (op != null)
            {
                if (request.op != null)
                {
                    throw new IllegalArgumentException("more than one command: " + arg);
                }
                request.op = op;
                request.words.add(0, op.name().toLowerCase(Locale.ROOT));
                continue;
            }
            if (arg.equals("--socket"))
            {
                request.socket = value(args, i, arg, inline);
                i += inline == null ? 1 : 0;
                continue;
            }
            if (arg.equals("--max-events"))
            {
                request.maxEvents = number(value(args, i, arg, inline), arg, 0, Long.MAX_VALUE);
                i += inline == null ? 1 : 0;
                continue;
            }
            if (!arg.startsWith("-"))
            {
                throw new IllegalArgumentException("unexpected argument: " + arg);
            }
            final String value = value(args, i, arg, inline);
            i += inline == null ? 1 : 0;
            switch (arg)
            {
                case "-p", "--proto", "--protonum" ->
                {
                    filter.protocol = ConntrackFormat.protocolNumber(value);
                    if (filter.protocol < 0)
                    {
                        throw new IllegalArgumentException("unknown protocol: " + value);
                    }
                }
                case "-f", "--family" -> filter.family = switch (value.toLowerCase(Locale.ROOT))
                {
                    case "ipv4" -> CtRecord.FAMILY_IPV4;
                    case "ipv6" -> CtRecord.FAMILY_IPV6;
                    default -> throw new IllegalArgumentException("unknown family: " + value + " (ipv4 or ipv6)");
                };
                case "-s", "--src", "--orig-src" -> filter.src[0] = address(request, value);
                case "-d", "--dst", "--orig-dst" -> filter.dst[0] = address(request, value);
                case "-r", "--reply-src" -> filter.src[1] = address(request, value);
                case "-q", "--reply-dst" -> filter.dst[1] = address(request, value);
                case "--sport", "--orig-port-src" -> filter.srcPort[0] = (int)number(value, arg, 0, 65535);
                case "--dport", "--orig-port-dst" -> filter.dstPort[0] = (int)number(value, arg, 0, 65535);
                case "--reply-port-src" -> filter.srcPort[1] = (int)number(value, arg, 0, 65535);
                case "--reply-port-dst" -> filter.dstPort[1] = (int)number(value, arg, 0, 65535);
                case "--state" ->
                {
                    filter.tcpState = TcpState.of(value);
                    if (filter.tcpState < 0)
                    {
                        throw new IllegalArgumentException("unknown TCP state: " + value);
                    }
                }
                case "-m", "--mark" ->
                {
                    final int slash = value.indexOf('/');
                    filter.markValue = number(slash < 0 ? value : value.substring(0, slash), arg, 0, 0xFFFF_FFFFL);
                    filter.markMask = slash < 0 ? 0xFFFF_FFFFL : number(value.substring(slash + 1), arg, 0, 0xFFFF_FFFFL);
                }
                case "-w", "--zone" -> filter.zone = (int)number(value, arg, 0, 65535);
                case "-u", "--status" -> CtFilter.addStatus(filter, value);
                case "--icmp-type", "--icmpv6-type" -> filter.icmpType = (int)number(value, arg, 0, 255);
                case "--icmp-code", "--icmpv6-code" -> filter.icmpCode = (int)number(value, arg, 0, 255);
                case "--icmp-id", "--icmpv6-id" -> filter.icmpId = (int)number(value, arg, 0, 65535);
                case "-o", "--output" -> request.outputFlags |= outputFlags(value);
                case "-e", "--event-mask" -> request.eventMask = eventMask(value);
                default -> throw new IllegalArgumentException("unknown option: " + arg);
            }
            request.words.add(arg);
            request.words.add(value);
        }
        if (request.op == null)
        {
            throw new IllegalArgumentException("no command: one of list, get, delete, flush, count, stats, events, update "
                + "(or -L, -G, -D, -F, -C, -S, -E, -U)");
        }
        if (request.op == Op.GET && !filter.hasOriginalTuple())
        {
            throw new IllegalArgumentException("get needs the original tuple: -p, -s, -d and --sport/--dport "
                + "(or --icmp-type/--icmp-code/--icmp-id)");
        }
        if (request.op == Op.UPDATE && filter.markValue == -1)
        {
            throw new IllegalArgumentException("update needs the new mark: -m VALUE[/MASK]");
        }
        return request;
    }

    private static Op opOf(final String arg)
    {
        return switch (arg)
        {
            case "list", "-L", "--dump" -> Op.LIST;
            case "get", "-G", "--get" -> Op.GET;
            case "delete", "-D", "--delete" -> Op.DELETE;
            case "flush", "-F", "--flush" -> Op.FLUSH;
            case "count", "-C", "--count" -> Op.COUNT;
            case "stats", "-S", "--stats" -> Op.STATS;
            case "events", "-E", "--event" -> Op.EVENTS;
            case "update", "-U", "--update" -> Op.UPDATE;
            default -> null;
        };
    }

    private static String value(final List<String> args, final int i, final String option, final String inline)
    {
        if (inline != null)
        {
            return inline;
        }
        if (i + 1 >= args.size())
        {
            throw new IllegalArgumentException("option " + option + " needs a value");
        }
        return args.get(i + 1);
    }

    private static long number(final String value, final String option, final long min, final long max)
    {
        try
        {
            final long number = value.startsWith("0x") || value.startsWith("0X") ? Long.parseLong(value.substring(2), 16) : Long.parseLong(value);
            if (number < min || number > max)
            {
                throw new IllegalArgumentException(option + " must be " + min + ".." + max + ": " + value);
            }
            return number;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(option + " needs a number: " + value);
        }
    }

    private static CtFilter.Address address(final CtRequest request, final String text)
    {
        final int slash = text.indexOf('/');
        final String literal = slash < 0 ? text : text.substring(0, slash);
        final InetAddress address;
        try
        {
            address = InetAddress.ofLiteral(literal);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not an IP address: " + text);
        }
        final byte[] bytes = address.getAddress();
        final int family = address instanceof Inet4Address ? CtRecord.FAMILY_IPV4 : CtRecord.FAMILY_IPV6;
        final int bits = bytes.length * 8;
        final int prefix = slash < 0 ? bits : (int)number(text.substring(slash + 1), "prefix of " + text, 0, bits);
        if (request.filter.family != -1 && request.filter.family != family)
        {
            throw new IllegalArgumentException("address family of " + text + " differs from the family asked for");
        }
        request.filter.family = family;
        if (address instanceof Inet6Address)
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new CtFilter.Address(family, buffer.getLong(), buffer.getLong(), prefix);
        }
        return new CtFilter.Address(family, 0, ByteBuffer.wrap(bytes).getInt() & 0xFFFF_FFFFL, prefix);
    }

    private static int outputFlags(final String value)
    {
        int flags = 0;
        for (final String word : value.split(","))
        {
            flags |= switch (word)
            {
                case "extended" -> ConntrackFormat.EXTENDED;
                case "id" -> ConntrackFormat.ID;
                case "timestamp" -> ConntrackFormat.TIMESTAMP;
                case "ktimestamp" -> ConntrackFormat.KTIMESTAMP;
                default -> throw new IllegalArgumentException("unsupported output format: " + word
                    + " (extended, id, timestamp, ktimestamp)");
            };
        }
        return flags;
    }

    private static int eventMask(final String value)
    {
        int mask = 0;
        for (final String word : value.split(","))
        {
            mask |= switch (word.toUpperCase(Locale.ROOT))
            {
                case "NEW" -> CtEvent.NEW;
                case "UPDATE" -> CtEvent.UPDATE;
                case "DESTROY" -> CtEvent.DESTROY;
                case "ALL" -> CtEvent.ALL;
                default -> throw new IllegalArgumentException("unknown event type: " + word + " (NEW, UPDATE, DESTROY, ALL)");
            };
        }
        return mask;
    }
}
