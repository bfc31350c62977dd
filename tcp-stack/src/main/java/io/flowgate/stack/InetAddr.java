package io.flowgate.stack;

import io.flowgate.pipeline.route.IpPrefix;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Addresses in the stack are two longs (high and low half of an IPv6 address, big-endian as in the packet).
 * An IPv4 address is held IPv4-mapped ({@code ::ffff:a.b.c.d}, RFC 4291 2.5.5.2): hi 0, lo
 * {@code 0x0000_ffff_xxxx_xxxx}. So one tuple type carries both families; {@link #isV4} tells them apart.
 * The unspecified address (0, 0) means "any" in a bind.
 */
public final class InetAddr
{
    public static final long V4_MAPPED_PREFIX = 0x0000_ffff_0000_0000L;

    private InetAddr()
    {
    }

    public static boolean isV4(final long hi, final long lo)
    {
        return hi == 0 && (lo & 0xFFFF_FFFF_0000_0000L) == V4_MAPPED_PREFIX;
    }

    public static boolean isAny(final long hi, final long lo)
    {
        return hi == 0 && lo == 0;
    }

    /** The low half of IPv4 address {@code v4} held mapped (the high half is 0). */
    public static long v4(final int v4)
    {
        return V4_MAPPED_PREFIX | (v4 & 0xFFFF_FFFFL);
    }

    /** The IPv4 address of a mapped low half. */
    public static int v4Of(final long lo)
    {
        return (int)lo;
    }

    public static long hi(final InetAddress address)
    {
        return address instanceof Inet6Address ? word(address.getAddress(), 0) : 0;
    }

    public static long lo(final InetAddress address)
    {
        if (address instanceof Inet4Address)
        {
            final byte[] b = address.getAddress();
            return v4(((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF));
        }
        return word(address.getAddress(), 8);
    }

    public static InetAddress toInetAddress(final long hi, final long lo)
    {
        try
        {
            if (isV4(hi, lo))
            {
                final int a = v4Of(lo);
                return InetAddress.getByAddress(new byte[] {(byte)(a >>> 24), (byte)(a >>> 16), (byte)(a >>> 8), (byte)a});
            }
            final byte[] b = new byte[16];
            for (int i = 0; i < 8; i++)
            {
                b[i] = (byte)(hi >>> (56 - 8 * i));
                b[8 + i] = (byte)(lo >>> (56 - 8 * i));
            }
            return InetAddress.getByAddress(b);
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException(e); // a 4- or 16-byte array is always accepted
        }
    }

    /** Text as {@code ss} prints it: dotted quad for IPv4, RFC 5952 for IPv6. */
    public static String toString(final long hi, final long lo)
    {
        return isV4(hi, lo) ? toInetAddress(hi, lo).getHostAddress() : IpPrefix.ipv6Text(hi, lo);
    }

    private static long word(final byte[] b, final int from)
    {
        long w = 0;
        for (int i = 0; i < 8; i++)
        {
            w = (w << 8) | (b[from + i] & 0xFF);
        }
        return w;
    }
}
