package io.flowgate.xdp.bpf;

import java.nio.ByteBuffer;

/** Hand-built test frames and full (non-incremental) checksum checks. Test code: allocation is fine. */
final class Packets
{
    static final long DST_MAC = 0x02_00_00_00_00_02L;
    static final long SRC_MAC = 0x02_00_00_00_00_01L;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int SYN = 0x02;
    static final int FIN = 0x01;
    static final int RST = 0x04;
    static final int ACK = 0x10;
    static final int PSH = 0x08;

    private Packets()
    {
    }

    /** Ethernet + IPv4 (+ options when ihl > 5) + TCP/UDP + payload, every checksum right. */
    static byte[] ipv4(final int protocol, final int src, final int dst, final int sport, final int dport, final int ttl,
                       final int fragField, final int tcpFlags, final int payload, final boolean udpNoChecksum, final int ihl)
    {
        final int l4Len = (protocol == TCP ? 20 : 8) + payload;
        final int ipLen = ihl * 4 + l4Len;
        final ByteBuffer b = ByteBuffer.allocate(14 + ipLen);
        putMac(b, DST_MAC);
        putMac(b, SRC_MAC);
        b.putShort((short)0x0800);
        final int ip = b.position();
        b.put((byte)(0x40 | ihl)).put((byte)0).putShort((short)ipLen).putShort((short)0x1234).putShort((short)fragField);
        b.put((byte)ttl).put((byte)protocol).putShort((short)0).putInt(src).putInt(dst);
        for (int i = 5; i < ihl; i++)
        {
            b.putInt(0x01010101);   // NOP options
        }
        b.putShort(ip + 10, (short)checksum(b.array(), ip, ihl * 4, 0));
        final int l4 = b.position();
        b.putShort((short)sport).putShort((short)dport);
        if (protocol == TCP)
        {
            b.putInt(1000).putInt(2000).put((byte)0x50).put((byte)tcpFlags).putShort((short)65535).putShort((short)0).putShort((short)0);
        }
        else
        {
            b.putShort((short)l4Len).putShort((short)0);
        }
        for (int i = 0; i < payload; i++)
        {
            b.put((byte)(i * 7 + 3));
        }
        if (protocol == TCP || !udpNoChecksum)
        {
            int c = checksum(b.array(), l4, l4Len, pseudo4(src, dst, protocol, l4Len));
            if (protocol == UDP && c == 0)
            {
                c = 0xFFFF;
            }
            b.putShort(l4 + (protocol == TCP ? 16 : 6), (short)c);
        }
        return b.array();
    }

    static byte[] ipv4(final int protocol, final int src, final int dst, final int sport, final int dport, final int tcpFlags,
                       final int payload)
    {
        return ipv4(protocol, src, dst, sport, dport, 64, 0x4000, tcpFlags, payload, false, 5);
    }

    /** Ethernet + IPv6 + TCP/UDP + payload. */
    static byte[] ipv6(final int protocol, final long[] src, final long[] dst, final int sport, final int dport, final int hopLimit,
                       final int nextHeader, final int tcpFlags, final int payload)
    {
        final int l4Len = (protocol == TCP ? 20 : 8) + payload;
        final ByteBuffer b = ByteBuffer.allocate(14 + 40 + l4Len);
        putMac(b, DST_MAC);
        putMac(b, SRC_MAC);
        b.putShort((short)0x86DD);
        b.putInt(0x60000000).putShort((short)l4Len).put((byte)nextHeader).put((byte)hopLimit);
        b.putLong(src[0]).putLong(src[1]).putLong(dst[0]).putLong(dst[1]);
        final int l4 = b.position();
        b.putShort((short)sport).putShort((short)dport);
        if (protocol == TCP)
        {
            b.putInt(1000).putInt(2000).put((byte)0x50).put((byte)tcpFlags).putShort((short)65535).putShort((short)0).putShort((short)0);
        }
        else
        {
            b.putShort((short)l4Len).putShort((short)0);
        }
        for (int i = 0; i < payload; i++)
        {
            b.put((byte)(i * 5 + 1));
        }
        int c = checksum(b.array(), l4, l4Len, pseudo6(b.array(), 14 + 8, protocol, l4Len));
        if (protocol == UDP && c == 0)
        {
            c = 0xFFFF;
        }
        b.putShort(l4 + (protocol == TCP ? 16 : 6), (short)c);
        return b.array();
    }

    /** The one's-complement checksum of {@code len} bytes at {@code off} plus {@code initial} (a partial sum). */
    static int checksum(final byte[] a, final int off, final int len, final long initial)
    {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2)
        {
            sum += ((a[off + i] & 0xFF) << 8) | (a[off + i + 1] & 0xFF);
        }
        if ((len & 1) != 0)
        {
            sum += (a[off + len - 1] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    static long pseudo4(final int src, final int dst, final int protocol, final int l4Len)
    {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + l4Len;
    }

    /** The IPv6 pseudo-header sum over the addresses at {@code addrOff} (src then dst, 32 bytes). */
    static long pseudo6(final byte[] a, final int addrOff, final int protocol, final int l4Len)
    {
        long sum = 0;
        for (int i = 0; i < 32; i += 2)
        {
            sum += ((a[addrOff + i] & 0xFF) << 8) | (a[addrOff + i + 1] & 0xFF);
        }
        return sum + protocol + l4Len;
    }

    /** True when the IPv4 header checksum of the frame verifies (sums to 0xFFFF). */
    static boolean ipv4HeaderOk(final byte[] f)
    {
        final int ihl = (f[14] & 0x0F) * 4;
        return checksum(f, 14, ihl, 0) == 0;
    }

    /** True when the L4 checksum of the IPv4 frame verifies (a UDP checksum of 0 means none and passes). */
    static boolean ipv4L4Ok(final byte[] f)
    {
        final ByteBuffer b = ByteBuffer.wrap(f);
        final int ihl = (f[14] & 0x0F) * 4;
        final int protocol = f[23] & 0xFF;
        final int l4 = 14 + ihl;
        final int l4Len = (b.getShort(16) & 0xFFFF) - ihl;
        if (protocol == UDP && b.getShort(l4 + 6) == 0)
        {
            return true;
        }
        return checksum(f, l4, l4Len, pseudo4(b.getInt(26), b.getInt(30), protocol, l4Len)) == 0;
    }

    static boolean ipv6L4Ok(final byte[] f)
    {
        final ByteBuffer b = ByteBuffer.wrap(f);
        final int l4Len = b.getShort(18) & 0xFFFF;
        return checksum(f, 54, l4Len, pseudo6(f, 22, f[20] & 0xFF, l4Len)) == 0;
    }

    static void putMac(final ByteBuffer b, final long mac)
    {
        b.putShort((short)(mac >>> 32)).putInt((int)mac);
    }

    static int ip(final int a, final int b, final int c, final int d)
    {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }
}
