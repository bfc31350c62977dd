package io.flowgate.stack;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.host.HostOutput;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Packet builders (checksums computed here, independently of the stack) and a capturing {@link HostOutput}. */
final class Packets
{
    static final int LOCAL4 = 0x0A000001;  // 10.0.0.1
    static final int PEER4 = 0x0A000002;   // 10.0.0.2
    static final long LOCAL6_HI = 0xFD00_0000_0000_0000L;
    static final long LOCAL6_LO = 1;
    static final long PEER6_HI = 0xFD00_0000_0000_0000L;
    static final long PEER6_LO = 2;

    private Packets()
    {
    }

    /** A HostOutput that keeps a copy of every IP packet sent and frees the mbuf. */
    static final class Capture implements HostOutput
    {
        final Mempool pool;
        final List<byte[]> sent = new ArrayList<>();
        /** When set, allocate() fails as an empty pool would. */
        boolean empty;

        Capture(final Mempool pool)
        {
            this.pool = pool;
        }

        @Override
        public long allocate()
        {
            return empty ? 0 : pool.alloc();
        }

        @Override
        public int maxIpLength()
        {
            return 2048 - IP_OFFSET;
        }

        @Override
        public void send(final long mbuf, final long nowNs)
        {
            final int length = Mbuf.dataLength(mbuf) - IP_OFFSET;
            final byte[] b = new byte[length];
            MemorySegment.copy(Memory.ALL, ValueLayout.JAVA_BYTE, Mbuf.data(mbuf) + IP_OFFSET, b, 0, length);
            sent.add(b);
            Mbuf.free(mbuf);
        }

        @Override
        public int route4(final int destination)
        {
            return (destination >>> 24) == 10 ? 1500 << 16 : NO_ROUTE;
        }

        @Override
        public int route6(final long destinationHi, final long destinationLo)
        {
            return destinationHi == PEER6_HI ? 1500 << 16 : NO_ROUTE;
        }

        @Override
        public int sourceAddress4(final int port)
        {
            return LOCAL4;
        }

        @Override
        public long sourceAddress6Hi(final int port, final long destinationHi)
        {
            return LOCAL6_HI;
        }

        @Override
        public long sourceAddress6Lo(final int port, final long destinationHi)
        {
            return LOCAL6_LO;
        }

        @Override
        public boolean isLocal4(final int address)
        {
            return address == LOCAL4;
        }

        @Override
        public boolean isLocal6(final long hi, final long lo)
        {
            return hi == LOCAL6_HI && lo == LOCAL6_LO;
        }
    }

    static int checksum(final byte[] b, final int offset, final int length, final long initial)
    {
        long s = initial;
        for (int i = 0; i < length; i += 2)
        {
            s += (b[offset + i] & 0xFF) << 8 | (i + 1 < length ? b[offset + i + 1] & 0xFF : 0);
        }
        while (s >>> 16 != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)(~s & 0xFFFF);
    }

    static long pseudo4(final int src, final int dst, final int protocol, final int length)
    {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + length;
    }

    static long pseudo6(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int protocol, final int length)
    {
        long s = protocol + length;
        for (final long w : new long[] {srcHi, srcLo, dstHi, dstLo})
        {
            s += (w >>> 48) + (w >>> 32 & 0xFFFF) + (w >>> 16 & 0xFFFF) + (w & 0xFFFF);
        }
        return s;
    }

    static byte[] udp4(final int src, final int dst, final int sport, final int dport, final byte[] data, final boolean zeroChecksum)
    {
        final byte[] u = transportHeader(sport, dport, data, 8);
        ByteBuffer.wrap(u).putShort(4, (short)u.length);
        if (!zeroChecksum)
        {
            int c = checksum(u, 0, u.length, pseudo4(src, dst, 17, u.length));
            ByteBuffer.wrap(u).putShort(6, (short)(c == 0 ? 0xFFFF : c));
        }
        return ipv4(src, dst, 17, 1, 0, u);
    }

    static byte[] udp6(final long sHi, final long sLo, final long dHi, final long dLo, final int sport, final int dport,
                       final byte[] data, final boolean zeroChecksum)
    {
        return ipv6(sHi, sLo, dHi, dLo, 17, udp6Segment(sHi, sLo, dHi, dLo, sport, dport, data, zeroChecksum));
    }

    static byte[] udp6Segment(final long sHi, final long sLo, final long dHi, final long dLo, final int sport, final int dport,
                              final byte[] data, final boolean zeroChecksum)
    {
        final byte[] u = transportHeader(sport, dport, data, 8);
        ByteBuffer.wrap(u).putShort(4, (short)u.length);
        if (!zeroChecksum)
        {
            final int c = checksum(u, 0, u.length, pseudo6(sHi, sLo, dHi, dLo, 17, u.length));
            ByteBuffer.wrap(u).putShort(6, (short)(c == 0 ? 0xFFFF : c));
        }
        return u;
    }

    /** A bare TCP header (ACK, no options) with {@code data}, checksummed for IPv4. */
    static byte[] tcp4(final int src, final int dst, final int sport, final int dport, final byte[] data)
    {
        final byte[] t = transportHeader(sport, dport, data, 20);
        t[12] = 0x50;
        t[13] = 0x10;
        ByteBuffer.wrap(t).putShort(16, (short)checksum(t, 0, t.length, pseudo4(src, dst, 6, t.length)));
        return ipv4(src, dst, 6, 1, 0x4000, t);
    }

    private static byte[] transportHeader(final int sport, final int dport, final byte[] data, final int headerLength)
    {
        final byte[] t = new byte[headerLength + data.length];
        final ByteBuffer b = ByteBuffer.wrap(t);
        b.putShort(0, (short)sport);
        b.putShort(2, (short)dport);
        System.arraycopy(data, 0, t, headerLength, data.length);
        return t;
    }

    static byte[] ipv4(final int src, final int dst, final int protocol, final int id, final int flags, final byte[] payload)
    {
        final byte[] p = new byte[20 + payload.length];
        final ByteBuffer b = ByteBuffer.wrap(p);
        b.put(0, (byte)0x45);
        b.putShort(2, (short)p.length);
        b.putShort(4, (short)id);
        b.putShort(6, (short)flags);
        b.put(8, (byte)64);
        b.put(9, (byte)protocol);
        b.putInt(12, src);
        b.putInt(16, dst);
        System.arraycopy(payload, 0, p, 20, payload.length);
        fixIpv4Checksum(p);
        return p;
    }

    static void fixIpv4Checksum(final byte[] p)
    {
        final int hl = (p[0] & 0xF) * 4;
        ByteBuffer.wrap(p).putShort(10, (short)0);
        ByteBuffer.wrap(p).putShort(10, (short)checksum(p, 0, hl, 0));
    }

    static byte[] ipv6(final long sHi, final long sLo, final long dHi, final long dLo, final int nextHeader, final byte[] payload)
    {
        final byte[] p = new byte[40 + payload.length];
        final ByteBuffer b = ByteBuffer.wrap(p);
        b.putInt(0, 6 << 28);
        b.putShort(4, (short)payload.length);
        b.put(6, (byte)nextHeader);
        b.put(7, (byte)64);
        b.putLong(8, sHi);
        b.putLong(16, sLo);
        b.putLong(24, dHi);
        b.putLong(32, dLo);
        System.arraycopy(payload, 0, p, 40, payload.length);
        return p;
    }

    /** IPv4 fragment {@code [offset, offset + length)} of the payload of {@code whole} (an unfragmented IPv4 packet). */
    static byte[] fragment4(final byte[] whole, final int offset, final int length, final boolean more)
    {
        final byte[] payload = new byte[length];
        System.arraycopy(whole, 20 + offset, payload, 0, length);
        final ByteBuffer w = ByteBuffer.wrap(whole);
        return ipv4(w.getInt(12), w.getInt(16), whole[9] & 0xFF, w.getShort(4) & 0xFFFF, (more ? 0x2000 : 0) | offset >> 3, payload);
    }

    /** IPv6 fragment of {@code transport} (the fragmentable part) with a Fragment header. */
    static byte[] fragment6(final byte[] transport, final int nextHeader, final int id, final int offset, final int length,
                            final boolean more)
    {
        final byte[] f = new byte[8 + length];
        final ByteBuffer b = ByteBuffer.wrap(f);
        f[0] = (byte)nextHeader;
        b.putShort(2, (short)(offset | (more ? 1 : 0)));
        b.putInt(4, id);
        System.arraycopy(transport, offset, f, 8, length);
        return ipv6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 44, f);
    }

    static byte[] icmp4(final int src, final int dst, final int type, final int code, final int rest, final byte[] quoted)
    {
        final byte[] i = new byte[8 + quoted.length];
        final ByteBuffer b = ByteBuffer.wrap(i);
        i[0] = (byte)type;
        i[1] = (byte)code;
        b.putInt(4, rest);
        System.arraycopy(quoted, 0, i, 8, quoted.length);
        b.putShort(2, (short)checksum(i, 0, i.length, 0));
        return ipv4(src, dst, 1, 7, 0, i);
    }

    static byte[] icmp6(final int type, final int code, final int rest, final byte[] quoted)
    {
        final byte[] i = new byte[8 + quoted.length];
        final ByteBuffer b = ByteBuffer.wrap(i);
        i[0] = (byte)type;
        i[1] = (byte)code;
        b.putInt(4, rest);
        System.arraycopy(quoted, 0, i, 8, quoted.length);
        b.putShort(2, (short)checksum(i, 0, i.length, pseudo6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 58, i.length)));
        return ipv6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 58, i);
    }

    /** An mbuf holding an Ethernet frame (optionally one VLAN tag) around the IP packet; {@code split} > 0 chains it there. */
    static long mbuf(final Mempool pool, final byte[] ip, final boolean v6, final boolean vlan, final int split)
    {
        final int l2 = vlan ? 18 : 14;
        final byte[] frame = new byte[l2 + ip.length];
        final ByteBuffer b = ByteBuffer.wrap(frame);
        if (vlan)
        {
            b.putShort(12, (short)0x8100);
            b.putShort(14, (short)7);
        }
        b.putShort(l2 - 2, (short)(v6 ? 0x86DD : 0x0800));
        System.arraycopy(ip, 0, frame, l2, ip.length);
        final long m = pool.alloc();
        if (split <= 0)
        {
            MemorySegment.copy(frame, 0, Memory.ALL, ValueLayout.JAVA_BYTE, Mbuf.data(m), frame.length);
            Mbuf.length(m, frame.length);
            return m;
        }
        final long n = pool.alloc();
        MemorySegment.copy(frame, 0, Memory.ALL, ValueLayout.JAVA_BYTE, Mbuf.data(m), split);
        MemorySegment.copy(frame, split, Memory.ALL, ValueLayout.JAVA_BYTE, Mbuf.data(n), frame.length - split);
        Mbuf.length(n, frame.length - split);
        Mbuf.dataLength(m, split);
        Mbuf.packetLength(m, frame.length);
        Mbuf.next(m, n);
        Mbuf.segments(m, 2);
        return m;
    }
}
