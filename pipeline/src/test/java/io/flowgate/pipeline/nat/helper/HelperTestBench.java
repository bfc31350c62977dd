package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.conntrack.CtPacketParser;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.checksum.Checksum;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A worker's conntrack, expectation table and helper hook, fed with real IPv4 packets: each packet is
 * parsed and tracked as at PREROUTING, a new connection gets the NAT the test names written into its reply
 * tuple (what the NAT engine decides; the packet's addresses are left alone: helpers read tuples), the helper
 * hook runs as at POSTROUTING, and the packet is confirmed. The packet's bytes after the hook are kept.
 */
final class HelperTestBench implements AutoCloseable
{
    static final int BUFFER = 2048;

    final Arena arena = Arena.ofShared();
    final HugePageTableMemory memory = new HugePageTableMemory();
    final Conntrack ct;
    final ExpectTable expect;
    final HelperHook hook;
    final PacketBurst burst;
    final MemorySegment buffer;
    private final CtPacketParser parser = new CtPacketParser(true);
    private final CtPacket facts = new CtPacket();
    private final int[] verdicts = new int[4];
    private final int[] packets = {0};

    /** For {@link #pass(byte[])}: NAT's decision for a new connection (record index, original tuple) -> reply tuple, or null; sets {@link #natStatus}. */
    java.util.function.BiFunction<Integer, CtKey, CtKey> decide;
    int natStatus;

    int lastCtinfo;
    int lastIndex;
    int lastVerdict;
    int nowMs = 1000;

    HelperTestBench(final int worker, final int workers)
    {
        ct = new Conntrack(0, ConntrackConfig.defaults(1024), memory, null, null, 32, 1, 5);
        expect = new ExpectTable(ct.table(), 64, 64);
        ct.expectations(expect);
        hook = new HelperHook(ct, expect, worker, workers, new int[] {21}, new int[] {69}, 11);
        burst = new PacketBurst(arena, 4);
        buffer = arena.allocate(BUFFER, 64);
    }

    /**
     * Tracks, helps and confirms one packet; {@code natReply} (not null for a new connection to translate) is
     * the reply tuple NAT chose, with {@code natStatus} (SRC_NAT, DST_NAT). Returns the packet after the hook.
     */
    byte[] pass(final byte[] packet, final CtKey natReply, final int natStatus)
    {
        MemorySegment.copy(packet, 0, buffer, ValueLayout.JAVA_BYTE, 0, packet.length);
        final long ip = buffer.address();
        final boolean v6 = (packet[0] & 0xF0) == 0x60;
        if (v6)
        {
            parser.ipv6(ip, packet.length, 0, facts);
        }
        else
        {
            parser.ipv4(ip, packet.length, 0, facts);
        }
        lastCtinfo = ct.in(facts, nowMs);
        lastIndex = ct.index();
        lastVerdict = Verdict.ACCEPT;
        if (lastIndex >= 0)
        {
            final long record = ct.table().record(lastIndex);
            CtKey reply = natReply;
            int status = natStatus;
            if (reply == null && decide != null && (CtRecord.status(record) & CtStatus.CONFIRMED) == 0)
            {
                reply = decide.apply(lastIndex, ct.table().tuple(lastIndex, 0, new CtKey()));
                status = this.natStatus;
            }
            if (reply != null && (CtRecord.status(record) & CtStatus.CONFIRMED) == 0)
            {
                ct.table().replyTuple(lastIndex, reply);
                CtRecord.status(record, CtRecord.status(record) | status);
            }
            burst.count(1);
            burst.ct[0] = lastIndex;
            burst.ctinfo[0] = lastCtinfo;
            burst.l3[0] = ip;
            burst.length[0] = packet.length;
            hook.roomForTests = BUFFER - packet.length;
            hook.process(Hook.POSTROUTING, burst, packets, 1, verdicts);
            lastVerdict = verdicts[0];
            if (lastVerdict == Verdict.ACCEPT)
            {
                ct.confirm(lastIndex, nowMs);
            }
        }
        ct.endBurst();
        final int length = v6 ? 40 + Short.toUnsignedInt(buffer.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 4))
            : Short.toUnsignedInt(buffer.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2));
        final byte[] out = new byte[length];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, out, 0, length);
        return out;
    }

    byte[] pass(final byte[] packet)
    {
        return pass(packet, null, 0);
    }

    /** Whether the IPv4 header checksum and the TCP/UDP checksum of {@code packet} are right. */
    boolean checksumsValid(final byte[] packet)
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment m = a.allocate(packet.length + 8, 8);
            MemorySegment.copy(packet, 0, m, ValueLayout.JAVA_BYTE, 0, packet.length);
            final boolean header = Checksum.sum(m.address(), (packet[0] & 0x0F) * 4) == Checksum.VALID_SUM;
            return header && (packet[9] != 6 || Checksum.isTcpIpv4Valid(m.address())) &&
                (packet[9] != 17 || Checksum.isUdpIpv4Valid(m.address()));
        }
    }

    @Override
    public void close()
    {
        ct.table().close();
        arena.close();
    }

    // ---- packets ----

    static int address(final String dotted)
    {
        final String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8 | Integer.parseInt(p[3]);
    }

    static byte[] tcp(final String src, final String dst, final int sport, final int dport, final long seq, final long ack, final int flags,
                      final String text, final long... sack)
    {
        final byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        final ByteArrayOutputStream opts = new ByteArrayOutputStream();
        if ((flags & 0x02) != 0)
        {
            opts.write(2); // MSS 1460
            opts.write(4);
            opts.write(0x05);
            opts.write(0xB4);
            opts.write(1);
            opts.write(1);
            opts.write(4); // SACK permitted
            opts.write(2);
        }
        if (sack.length > 0)
        {
            opts.write(1);
            opts.write(1);
            opts.write(5);
            opts.write(2 + 4 * sack.length);
            for (final long edge : sack)
            {
                opts.write((int)(edge >>> 24));
                opts.write((int)(edge >>> 16));
                opts.write((int)(edge >>> 8));
                opts.write((int)edge);
            }
        }
        while (opts.size() % 4 != 0)
        {
            opts.write(1);
        }
        final byte[] options = opts.toByteArray();
        final int thl = 20 + options.length;
        final byte[] l4 = new byte[thl + payload.length];
        put16(l4, 0, sport);
        put16(l4, 2, dport);
        put32(l4, 4, seq);
        put32(l4, 8, ack);
        l4[12] = (byte)((thl / 4) << 4);
        l4[13] = (byte)flags;
        put16(l4, 14, 64240);
        System.arraycopy(options, 0, l4, 20, options.length);
        System.arraycopy(payload, 0, l4, thl, payload.length);
        return ip(src, dst, 6, l4);
    }

    /** An IPv6 TCP segment (no extension headers) carrying {@code text}; addresses are literals as "2001:db8::1". */
    static byte[] tcp6(final String src, final String dst, final int sport, final int dport, final long seq, final long ack, final int flags,
                       final String text)
    {
        final byte[] v4 = tcp("10.0.0.1", "10.0.0.2", sport, dport, seq, ack, flags, text);
        final byte[] l4 = java.util.Arrays.copyOfRange(v4, 20, v4.length);
        final byte[] p = new byte[40 + l4.length];
        p[0] = 0x60;
        put16(p, 4, l4.length);
        p[6] = 6;
        p[7] = 64;
        final byte[] s6 = io.flowgate.pipeline.conntrack.diff.PacketBuilder.address6(src);
        final byte[] d6 = io.flowgate.pipeline.conntrack.diff.PacketBuilder.address6(dst);
        System.arraycopy(s6, 0, p, 8, 16);
        System.arraycopy(d6, 0, p, 24, 16);
        System.arraycopy(l4, 0, p, 40, l4.length);
        p[40 + 16] = 0;
        p[40 + 17] = 0;
        long pseudo = 6 + l4.length;
        for (int i = 8; i < 40; i += 2)
        {
            pseudo += (p[i] & 0xFF) << 8 | (p[i + 1] & 0xFF);
        }
        put16(p, 40 + 16, ~sum(p, 40, l4.length, pseudo) & 0xFFFF);
        return p;
    }

    static byte[] udp(final String src, final String dst, final int sport, final int dport, final byte[] payload)
    {
        final byte[] l4 = new byte[8 + payload.length];
        put16(l4, 0, sport);
        put16(l4, 2, dport);
        put16(l4, 4, l4.length);
        System.arraycopy(payload, 0, l4, 8, payload.length);
        return ip(src, dst, 17, l4);
    }

    private static byte[] ip(final String src, final String dst, final int protocol, final byte[] l4)
    {
        final byte[] p = new byte[20 + l4.length];
        p[0] = 0x45;
        put16(p, 2, p.length);
        p[8] = 64;
        p[9] = (byte)protocol;
        put32(p, 12, address(src) & 0xFFFF_FFFFL);
        put32(p, 16, address(dst) & 0xFFFF_FFFFL);
        System.arraycopy(l4, 0, p, 20, l4.length);
        put16(p, 10, ~sum(p, 0, 20, 0) & 0xFFFF);
        long pseudo = (address(src) >>> 16) + (address(src) & 0xFFFF) + (address(dst) >>> 16) + (address(dst) & 0xFFFF) + protocol + l4.length;
        final int csumAt = protocol == 6 ? 20 + 16 : 20 + 6;
        int c = ~sum(p, 20, l4.length, pseudo) & 0xFFFF;
        if (protocol == 17 && c == 0)
        {
            c = 0xFFFF;
        }
        put16(p, csumAt, c);
        return p;
    }

    private static int sum(final byte[] b, final int from, final int length, final long initial)
    {
        long s = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int hi = b[from + i] & 0xFF;
            final int lo = i + 1 < length ? b[from + i + 1] & 0xFF : 0;
            s += hi << 8 | lo;
        }
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }

    static void put16(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 8);
        b[at + 1] = (byte)v;
    }

    static void put32(final byte[] b, final int at, final long v)
    {
        b[at] = (byte)(v >>> 24);
        b[at + 1] = (byte)(v >>> 16);
        b[at + 2] = (byte)(v >>> 8);
        b[at + 3] = (byte)v;
    }

    static long seq(final byte[] p)
    {
        return get32(p, 20 + 4);
    }

    static long ack(final byte[] p)
    {
        return get32(p, 20 + 8);
    }

    static long get32(final byte[] p, final int at)
    {
        return (p[at] & 0xFFL) << 24 | (p[at + 1] & 0xFFL) << 16 | (p[at + 2] & 0xFFL) << 8 | (p[at + 3] & 0xFFL);
    }

    /** The TCP payload of an IPv4 packet as text. */
    static String text(final byte[] p)
    {
        final int ihl = (p[0] & 0xF0) == 0x60 ? 40 : (p[0] & 0x0F) * 4;
        final int doff = ((p[ihl + 12] & 0xFF) >>> 4) * 4;
        return new String(p, ihl + doff, p.length - ihl - doff, StandardCharsets.US_ASCII);
    }
}
