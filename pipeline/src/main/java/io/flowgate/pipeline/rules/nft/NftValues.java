package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.nft.NftLexer.Kind;
import io.flowgate.pipeline.rules.nft.NftLexer.Token;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Values of a field as nft reads and prints them: addresses, prefixes, ranges, ports, names, marks. */
final class NftValues
{
    private NftValues()
    {
    }

    static boolean isAddress(final Field field)
    {
        return field == Field.IP_SADDR || field == Field.IP_DADDR || field == Field.IP6_SADDR || field == Field.IP6_DADDR;
    }

    static boolean isIpv6(final Field field)
    {
        return field == Field.IP6_SADDR || field == Field.IP6_DADDR;
    }

    static boolean isPort(final Field field)
    {
        return field == Field.TCP_SPORT || field == Field.TCP_DPORT || field == Field.UDP_SPORT || field == Field.UDP_DPORT;
    }

    /** A decimal or 0x-hex number no larger than {@code max}. */
    static long number(final Token t, final long max) throws RulesetException
    {
        final String text = t.text();
        try
        {
            if (t.kind() != Kind.WORD)
            {
                throw new NumberFormatException();
            }
            final long v = text.startsWith("0x") || text.startsWith("0X") ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseLong(text);
            if (v < 0 || Long.compareUnsigned(v, max) > 0)
            {
                throw new RulesetException(t.origin(), text + " is out of range (at most " + max + ")");
            }
            return v;
        }
        catch (final NumberFormatException e)
        {
            throw new RulesetException(t.origin(), "expected a number, found '" + text.replace("\n", "end of line") + "'");
        }
    }

    /** A value written as one word: single, prefix ({@code /n}, addresses) or range ({@code a-b}). */
    static Interval parse(final Field field, final Token t) throws RulesetException
    {
        final String text = t.text();
        final int slash = text.indexOf('/');
        if (slash >= 0)
        {
            if (!isAddress(field))
            {
                throw new RulesetException(t.origin(), "a prefix is only valid for addresses, not " + field.keyword);
            }
            final BigInteger address = single(field, sub(t, text.substring(0, slash)));
            final int length = (int)number(sub(t, text.substring(slash + 1)), field.bits);
            // nft accepts host bits in a prefix and clears them; so does Interval.prefix
            return Interval.prefix(address, length, field.bits);
        }
        RulesetException first;
        try
        {
            final BigInteger v = single(field, t);
            return new Interval(v, v);
        }
        catch (final RulesetException e)
        {
            first = e;
        }
        for (int dash = text.indexOf('-', 1); dash > 0; dash = text.indexOf('-', dash + 1))
        {
            final BigInteger lo;
            final BigInteger hi;
            try
            {
                lo = single(field, sub(t, text.substring(0, dash)));
                hi = single(field, sub(t, text.substring(dash + 1)));
            }
            catch (final RulesetException e)
            {
                continue;
            }
            return range(field, t, lo, hi);
        }
        throw first;
    }

    static Interval range(final Field field, final Token at, final BigInteger lo, final BigInteger hi) throws RulesetException
    {
        if (lo.compareTo(hi) > 0)
        {
            throw new RulesetException(at.origin(), "range " + at.text() + " has its bounds reversed");
        }
        return new Interval(lo, hi);
    }

    private static Token sub(final Token t, final String text)
    {
        return new Token(Kind.WORD, text, t.origin());
    }

    /** One value (no range, no prefix) of {@code field}. */
    static BigInteger single(final Field field, final Token t) throws RulesetException
    {
        if (t.kind() != Kind.WORD)
        {
            throw new RulesetException(t.origin(), "expected a value of " + field.keyword + ", found '" + t.text().replace("\n", "end of line") + "'");
        }
        final String text = t.text();
        switch (field)
        {
            case IP_SADDR, IP_DADDR:
                return BigInteger.valueOf(ipv4(t));
            case IP6_SADDR, IP6_DADDR:
                return ipv6(t);
            case TCP_SPORT, TCP_DPORT, UDP_SPORT, UDP_DPORT:
            {
                final Integer service = NftNames.service(text);
                return BigInteger.valueOf(service != null ? service : named(t, field, 0xFFFF, "a port number or service name"));
            }
            case META_L4PROTO, IP_PROTOCOL:
            {
                final Integer proto = NftNames.protocol(text);
                return BigInteger.valueOf(proto != null ? proto : named(t, field, 0xFF, "a protocol number or name"));
            }
            case ICMP_TYPE:
                return BigInteger.valueOf(symbol(t, field, NftNames.ICMP_TYPES));
            case ICMPV6_TYPE:
                return BigInteger.valueOf(symbol(t, field, NftNames.ICMPV6_TYPES));
            case META_NFPROTO:
                return BigInteger.valueOf(symbol(t, field, NftNames.NFPROTO));
            case CT_STATE, CT_STATUS, TCP_FLAGS:
                return BigInteger.valueOf(symbol(t, field, NftNames.bits(field)));
            default:
                return BigInteger.valueOf(number(t, field.maxValue()));
        }
    }

    private static long named(final Token t, final Field field, final long max, final String what) throws RulesetException
    {
        if (t.text().isEmpty() || !Character.isDigit(t.text().charAt(0)))
        {
            throw new RulesetException(t.origin(), "'" + t.text() + "' is not " + what + " (" + field.keyword + ")");
        }
        return number(t, max);
    }

    private static long symbol(final Token t, final Field field, final Map<String, Integer> names) throws RulesetException
    {
        final Integer v = names.get(t.text());
        if (v != null)
        {
            return v;
        }
        if (!t.text().isEmpty() && Character.isDigit(t.text().charAt(0)))
        {
            return number(t, field.maxValue());
        }
        throw new RulesetException(t.origin(), "unknown " + field.keyword + " value '" + t.text() + "'");
    }

    static long ipv4(final Token t) throws RulesetException
    {
        final String[] parts = t.text().split("\\.", -1);
        if (parts.length != 4)
        {
            throw new RulesetException(t.origin(), "'" + t.text() + "' is not an IPv4 address (host names are not supported)");
        }
        long v = 0;
        for (final String p : parts)
        {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255)
            {
                throw new RulesetException(t.origin(), "'" + t.text() + "' is not an IPv4 address");
            }
            v = v << 8 | Integer.parseInt(p);
        }
        return v;
    }

    static BigInteger ipv6(final Token t) throws RulesetException
    {
        String text = t.text();
        final RulesetException bad = new RulesetException(t.origin(), "'" + text + "' is not an IPv6 address");
        final int[] words = new int[8];
        int count = 0;
        int tail = -1;
        if (text.isEmpty())
        {
            throw bad;
        }
        final int lastColon = text.lastIndexOf(':');
        int v4 = -1;
        if (text.indexOf('.') > lastColon && lastColon >= 0)
        {
            v4 = (int)ipv4(new Token(Kind.WORD, text.substring(lastColon + 1), t.origin()));
            text = text.substring(0, lastColon + 1) + "0:0";
        }
        final int dbl = text.indexOf("::");
        if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0)
        {
            throw bad;
        }
        final String head = dbl >= 0 ? text.substring(0, dbl) : text;
        final String rest = dbl >= 0 ? text.substring(dbl + 2) : "";
        final List<Integer> hw = hexWords(head, bad);
        final List<Integer> tw = hexWords(rest, bad);
        if (dbl < 0 ? hw.size() != 8 : hw.size() + tw.size() > 7)
        {
            throw bad;
        }
        for (final int w : hw)
        {
            words[count++] = w;
        }
        tail = 8 - tw.size();
        for (int i = 0; i < tw.size(); i++)
        {
            words[tail + i] = tw.get(i);
        }
        if (v4 >= 0)
        {
            words[6] = v4 >>> 16;
            words[7] = v4 & 0xFFFF;
        }
        BigInteger v = BigInteger.ZERO;
        for (final int w : words)
        {
            v = v.shiftLeft(16).or(BigInteger.valueOf(w));
        }
        return v;
    }

    private static List<Integer> hexWords(final String text, final RulesetException bad) throws RulesetException
    {
        final List<Integer> out = new ArrayList<>();
        if (text.isEmpty())
        {
            return out;
        }
        for (final String p : text.split(":", -1))
        {
            if (p.isEmpty() || p.length() > 4)
            {
                throw bad;
            }
            try
            {
                out.add(Integer.parseInt(p, 16));
            }
            catch (final NumberFormatException e)
            {
                throw bad;
            }
        }
        return out;
    }

    /** An anonymous set: sorted; with a range or prefix among them, overlapping and adjacent elements merged (nft's automerge). */
    static List<Interval> normalizeAnonymous(final List<Interval> elements)
    {
        final List<Interval> sorted = new ArrayList<>(elements);
        sorted.sort((a, b) -> a.lo().compareTo(b.lo()));
        boolean ranges = false;
        for (final Interval i : sorted)
        {
            ranges |= !i.isSingle();
        }
        final List<Interval> out = new ArrayList<>();
        for (final Interval i : sorted)
        {
            if (!out.isEmpty())
            {
                final Interval last = out.get(out.size() - 1);
                if (ranges ? i.lo().compareTo(last.hi().add(BigInteger.ONE)) <= 0 : i.lo().equals(last.lo()))
                {
                    out.set(out.size() - 1, new Interval(last.lo(), last.hi().max(i.hi())));
                    continue;
                }
            }
            out.add(i);
        }
        return out;
    }

    /** nft lists an anonymous set of names in the order of their bytes read as a little-endian number. */
    static void sortInterfaceNames(final List<String> names)
    {
        names.sort((a, b) ->
        {
            final byte[] x = new byte[16];
            final byte[] y = new byte[16];
            final byte[] ax = a.getBytes(StandardCharsets.UTF_8);
            final byte[] bx = b.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(ax, 0, x, 0, Math.min(16, ax.length));
            System.arraycopy(bx, 0, y, 0, Math.min(16, bx.length));
            for (int i = 15; i >= 0; i--)
            {
                if (x[i] != y[i])
                {
                    return Integer.compare(x[i] & 0xFF, y[i] & 0xFF);
                }
            }
            return 0;
        });
        for (int i = names.size() - 1; i > 0; i--)
        {
            if (names.get(i).equals(names.get(i - 1)))
            {
                names.remove(i);
            }
        }
    }

    // ---------------------------------------------------------------- printing

    static String format(final Field field, final BigInteger value)
    {
        final long v = value.longValue();
        switch (field)
        {
            case IP_SADDR, IP_DADDR:
                return formatIpv4(v);
            case IP6_SADDR, IP6_DADDR:
                return formatIpv6(value);
            case META_L4PROTO, IP_PROTOCOL:
            {
                final String name = NftNames.protocolName((int)v);
                return name != null ? name : Long.toString(v);
            }
            case ICMP_TYPE:
                return orNumber(NftNames.nameOf(NftNames.ICMP_TYPES, v), v);
            case ICMPV6_TYPE:
                return orNumber(NftNames.nameOf(NftNames.ICMPV6_TYPES, v), v);
            case META_NFPROTO:
                return orNumber(NftNames.nameOf(NftNames.NFPROTO, v), v);
            case CT_MARK, META_MARK:
                return String.format("0x%08x", v);
            case CT_STATE, CT_STATUS, TCP_FLAGS:
                return formatBits(field, v);
            default:
                return Long.toString(v);
        }
    }

    private static String orNumber(final String name, final long v)
    {
        return name != null ? name : Long.toString(v);
    }

    /** Bit names of {@code bits} in bit order, comma-separated (the value's remaining bits as hex). */
    static String formatBits(final Field field, final long bits)
    {
        final StringBuilder out = new StringBuilder();
        long rest = bits;
        for (int bit = 0; bit < 32; bit++)
        {
            final long b = 1L << bit;
            if ((bits & b) != 0)
            {
                final String name = NftNames.nameOf(NftNames.bits(field), b);
                if (name != null)
                {
                    out.append(out.isEmpty() ? "" : ",").append(name);
                    rest &= ~b;
                }
            }
        }
        if (rest != 0 || out.isEmpty())
        {
            out.append(out.isEmpty() ? "" : ",").append(String.format("0x%x", rest));
        }
        return out.toString();
    }

    static String formatIpv4(final long v)
    {
        return ((v >>> 24) & 0xFF) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF) + "." + (v & 0xFF);
    }

    /** RFC 5952 text as inet_ntop writes it: the longest run (2 or more) of zero groups as "::". */
    static String formatIpv6(final BigInteger value)
    {
        final int[] w = new int[8];
        for (int i = 0; i < 8; i++)
        {
            w[i] = value.shiftRight(16 * (7 - i)).intValue() & 0xFFFF;
        }
        int bestBase = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; )
        {
            if (w[i] == 0)
            {
                int j = i;
                while (j < 8 && w[j] == 0)
                {
                    j++;
                }
                if (j - i > bestLen)
                {
                    bestBase = i;
                    bestLen = j - i;
                }
                i = j;
            }
            else
            {
                i++;
            }
        }
        if (bestLen < 2)
        {
            bestBase = -1;
        }
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++)
        {
            if (i == bestBase)
            {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!out.isEmpty() && out.charAt(out.length() - 1) != ':')
            {
                out.append(':');
            }
            if (i == 6 && bestBase == 0 && bestLen == 5 && w[5] == 0xFFFF)
            {
                out.append(formatIpv4(((long)w[6] << 16) | w[7]));
                break;
            }
            out.append(Integer.toHexString(w[i]));
        }
        return out.toString();
    }

    /** An element as nft prints it: single value, prefix (addresses, when aligned) or range. */
    static String formatInterval(final Field field, final Interval interval)
    {
        if (interval.isSingle())
        {
            return format(field, interval.lo());
        }
        if (isAddress(field))
        {
            final BigInteger size = interval.hi().subtract(interval.lo()).add(BigInteger.ONE);
            if (size.bitCount() == 1 && interval.lo().mod(size).signum() == 0)
            {
                return format(field, interval.lo()) + "/" + (field.bits - (size.bitLength() - 1));
            }
        }
        return format(field, interval.lo()) + "-" + format(field, interval.hi());
    }
}
