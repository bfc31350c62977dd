package io.flowgate.pipeline.route;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 prefix (or, at full length, an address) as the control path reads and prints it:
 * {@code 10.0.0.0/8}, {@code 2001:db8::/32}, {@code 192.0.2.1}. IPv4 sits in the low 32 bits of {@code hi}
 * (host order) with {@code lo = 0}; IPv6 is {@code hi:lo} in network order, as the LPM tables take it.
 * <p>
 * Parsing is as strict as {@code ip route}: IPv4 only as four decimal octets (so {@code 10/8} is refused
 * rather than read as 0.0.0.10), no zone ids, and no host bits beyond the length ("Invalid prefix for given
 * prefix length"). Text goes through {@link InetAddress#ofLiteral}, which never asks DNS; control path only.
 */
public record IpPrefix(boolean ipv6, long hi, long lo, int length)
{
    public IpPrefix
    {
        final int max = ipv6 ? Ipv6Lpm.MAX_DEPTH : Ipv4Lpm.MAX_DEPTH;
        if (length < 0 || length > max)
        {
            throw new IllegalArgumentException("prefix length must be 0.." + max + ": " + length);
        }
        if (!ipv6 && (lo != 0 || (hi >>> 32) != 0))
        {
            throw new IllegalArgumentException("an IPv4 prefix lives in the low 32 bits of hi");
        }
    }

    public static IpPrefix ofIpv4(final int address, final int length)
    {
        return new IpPrefix(false, Integer.toUnsignedLong(address), 0, length);
    }

    public static IpPrefix ofIpv6(final long hi, final long lo, final int length)
    {
        return new IpPrefix(true, hi, lo, length);
    }

    /** {@code address/length}, or a bare address as a full-length prefix (/32, /128). */
    public static IpPrefix parse(final String text)
    {
        final int slash = text.indexOf('/');
        final IpPrefix address = parseAddress(slash < 0 ? text : text.substring(0, slash));
        if (slash < 0)
        {
            return address;
        }
        final String lengthText = text.substring(slash + 1);
        if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(Character::isDigit))
        {
            throw new IllegalArgumentException("bad prefix length in " + text);
        }
        final int length = Integer.parseInt(lengthText);
        final IpPrefix prefix = new IpPrefix(address.ipv6, address.hi, address.lo, length);
        if (!prefix.equals(prefix.masked()))
        {
            throw new IllegalArgumentException(
                "host bits set in " + text + " (invalid prefix for given prefix length; the network is " +
                prefix.masked() + ")");
        }
        return prefix;
    }

    /** A single IPv4 or IPv6 address, as a /32 or /128. IPv4-mapped IPv6 text stays IPv6. */
    public static IpPrefix parseAddress(final String text)
    {
        if (text.indexOf(':') >= 0)
        {
            if (text.indexOf('%') >= 0)
            {
                throw new IllegalArgumentException("zone ids have no place in a route: " + text);
            }
            final byte[] bytes = literal(text).getAddress();
            if (bytes.length == 4) // ofLiteral turns ::ffff:a.b.c.d into an Inet4Address
            {
                return ofIpv6(0, 0xFFFF_0000_0000L | Integer.toUnsignedLong(int32(bytes, 0)), Ipv6Lpm.MAX_DEPTH);
            }
            return ofIpv6(
                (long)int32(bytes, 0) << 32 | Integer.toUnsignedLong(int32(bytes, 4)),
                (long)int32(bytes, 8) << 32 | Integer.toUnsignedLong(int32(bytes, 12)),
                Ipv6Lpm.MAX_DEPTH);
        }
        if (!text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"))
        {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + text);
        }
        final InetAddress address = literal(text);
        if (!(address instanceof Inet4Address))
        {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        return ofIpv4(int32(address.getAddress(), 0), Ipv4Lpm.MAX_DEPTH);
    }

    /** The IPv4 address (host order). */
    public int ipv4Address()
    {
        return (int)hi;
    }

    public IpPrefix masked()
    {
        if (ipv6)
        {
            return new IpPrefix(true, hi & Ipv6Lpm.maskHi(length), lo & Ipv6Lpm.maskLo(length), length);
        }
        return ofIpv4(ipv4Address() & Ipv4Lpm.mask(length), length);
    }

    /** Whether {@code address} (an address or a longer prefix of the same family) lies inside this prefix. */
    public boolean contains(final IpPrefix address)
    {
        if (address.ipv6 != ipv6 || address.length < length)
        {
            return false;
        }
        return new IpPrefix(ipv6, address.hi, address.lo, length).masked().equals(masked());
    }

    /** The address alone, without the length. */
    public String addressText()
    {
        if (!ipv6)
        {
            final int a = ipv4Address();
            return (a >>> 24) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
        }
        return ipv6Text(hi, lo);
    }

    @Override
    public String toString()
    {
        return addressText() + "/" + length;
    }

    /** RFC 5952 text: lower case, no leading zeros, the first longest run of two or more zero groups as "::". */
    public static String ipv6Text(final long hi, final long lo)
    {
        final int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (int)((i < 4 ? hi : lo) >>> (48 - 16 * (i & 3))) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int end = i;
            while (end < 8 && groups[end] == 0)
            {
                end++;
            }
            if (end - i > bestLength)
            {
                bestStart = i;
                bestLength = end - i;
            }
            i = end;
        }

        final StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':')
            {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    private static InetAddress literal(final String text)
    {
        try
        {
            return InetAddress.ofLiteral(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not an IP address: " + text, ex);
        }
    }

    private static int int32(final byte[] bytes, final int offset)
    {
        return (bytes[offset] & 0xFF) << 24 | (bytes[offset + 1] & 0xFF) << 16 | (bytes[offset + 2] & 0xFF) << 8 |
            bytes[offset + 3] & 0xFF;
    }
}
