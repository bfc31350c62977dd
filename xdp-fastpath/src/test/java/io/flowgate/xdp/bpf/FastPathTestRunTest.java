package io.flowgate.xdp.bpf;

import static io.flowgate.xdp.bpf.Packets.ACK;
import static io.flowgate.xdp.bpf.Packets.FIN;
import static io.flowgate.xdp.bpf.Packets.PSH;
import static io.flowgate.xdp.bpf.Packets.RST;
import static io.flowgate.xdp.bpf.Packets.SYN;
import static io.flowgate.xdp.bpf.Packets.TCP;
import static io.flowgate.xdp.bpf.Packets.UDP;
import static io.flowgate.xdp.bpf.Packets.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.bpf.LibBpf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * fg_fastpath run by the kernel on hand-built frames (BPF_PROG_TEST_RUN): rewrites verified byte by byte and
 * by full checksum recomputation, every reason to go to Java checked through fg_stats with the frame
 * unchanged. Test runs see the netns' loopback as the ingress interface (ifindex 1) and queue 0; no AF_XDP
 * socket is registered, so "to Java" ends as XDP_PASS (counted as XSK_MISSING). Needs root.
 */
class FastPathTestRunTest
{
    static final int LO = 1;
    static final int EGRESS = 3;
    static final int CLIENT = ip(10, 0, 0, 1);
    static final int SERVER = ip(10, 0, 1, 2);
    static final int PUBLIC = ip(192, 0, 2, 1);
    static final int BACKEND = ip(10, 9, 9, 9);
    static final long NEXT_HOP_MAC = 0x0a_bb_cc_dd_ee_01L;
    static final long EGRESS_MAC = 0x0a_bb_cc_dd_ee_02L;

    static XdpProgram program;

    @BeforeAll
    static void load()
    {
        program = XdpProgram.load(4);
        program.redirectTarget(EGRESS, LO);
    }

    @AfterAll
    static void close()
    {
        program.close();
    }

    @AfterEach
    void empty()
    {
        program.flows().clear();
    }

    static FlowRecord flow4(final int protocol, final int sport, final int dport, final int flags)
    {
        final FlowRecord f = new FlowRecord();
        f.ifindex = LO;
        f.family = 4;
        f.protocol = protocol;
        f.srcLo = CLIENT & 0xFFFF_FFFFL;
        f.dstLo = SERVER & 0xFFFF_FFFFL;
        f.srcPort = sport;
        f.dstPort = dport;
        f.cookie = 0x1234_5678_9abc_def0L;
        f.egress = EGRESS;
        f.mtu = 1500;
        f.flags = flags;
        f.dstMac = NEXT_HOP_MAC;
        f.srcMac = EGRESS_MAC;
        f.newSrcLo = PUBLIC & 0xFFFF_FFFFL;
        f.newSrcPort = 40000;
        f.newDstLo = BACKEND & 0xFFFF_FFFFL;
        f.newDstPort = 8080;
        return f;
    }

    record Run(int retval, byte[] out)
    {
    }

    static Run run(final byte[] frame)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_BYTE, frame);
            final MemorySegment out = arena.allocate(frame.length + 256);
            final int[] len = new int[1];
            final int rc = LibBpf.testRun(program.programFd(true), in, out, len);
            return new Run(rc, Arrays.copyOf(out.toArray(ValueLayout.JAVA_BYTE), len[0]));
        }
    }

    static long[] delta(final long[] before)
    {
        final long[] now = program.stats();
        for (int i = 0; i < now.length; i++)
        {
            now[i] -= before[i];
        }
        return now;
    }

    /** Every byte equal except the ones listed as [offset, length] pairs. */
    static void assertSameExcept(final byte[] in, final byte[] out, final int... ranges)
    {
        assertEquals(in.length, out.length);
        final boolean[] skip = new boolean[in.length];
        for (int i = 0; i < ranges.length; i += 2)
        {
            Arrays.fill(skip, ranges[i], ranges[i] + ranges[i + 1], true);
        }
        for (int i = 0; i < in.length; i++)
        {
            if (!skip[i])
            {
                assertEquals(in[i], out[i], "byte " + i);
            }
        }
    }

    void assertIpv4Hit(final int protocol, final int flags, final boolean udpNoChecksum)
    {
        final FlowRecord f = flow4(protocol, 1000, 80, flags);
        assertTrue(program.flows().insert(f));
        final byte[] in = Packets.ipv4(protocol, CLIENT, SERVER, 1000, 80, 64, 0x4000, ACK | PSH, 100, udpNoChecksum, 5);
        final long[] before = program.stats();
        final long t0 = System.nanoTime();
        final Run r = run(in);
        final long t1 = System.nanoTime();
        assertEquals(LibBpf.XDP_REDIRECT, r.retval());
        final ByteBuffer o = ByteBuffer.wrap(r.out());
        assertEquals(NEXT_HOP_MAC, ((o.getShort(0) & 0xFFFFL) << 32) | (o.getInt(2) & 0xFFFF_FFFFL));
        assertEquals(EGRESS_MAC, ((o.getShort(6) & 0xFFFFL) << 32) | (o.getInt(8) & 0xFFFF_FFFFL));
        assertEquals(63, o.get(22) & 0xFF);
        final boolean snat = (flags & FlowRecord.SNAT) != 0;
        assertEquals(snat ? PUBLIC : CLIENT, o.getInt(26));
        assertEquals(snat ? 40000 : 1000, o.getShort(34) & 0xFFFF);
        final boolean dnat = (flags & 2) != 0;
        assertEquals(dnat ? BACKEND : SERVER, o.getInt(30));
        assertEquals(dnat ? 8080 : 80, o.getShort(36) & 0xFFFF);
        assertTrue(Packets.ipv4HeaderOk(r.out()), "IPv4 header checksum");
        assertTrue(Packets.ipv4L4Ok(r.out()), "L4 checksum");
        final int l4Check = protocol == TCP ? 34 + 16 : 34 + 6;
        if (udpNoChecksum)
        {
            assertEquals(0, o.getShort(l4Check));
        }
        // everything else untouched: MACs, TTL, IP checksum, addresses, ports, L4 checksum may change
        assertSameExcept(in, r.out(), 0, 12, 22, 1, 24, 2, 26, 8, 34, 4, l4Check, 2);
        final long[] d = delta(before);
        assertEquals(1, d[XdpProgram.STAT_RX]);
        assertEquals(1, d[XdpProgram.STAT_FAST]);
        assertTrue(program.flows().lookup(f));
        assertEquals(1, f.packets);
        assertEquals(in.length - 14, f.bytes);
        assertTrue(f.lastSeenNs >= t0 && f.lastSeenNs <= t1, f.lastSeenNs + " not in [" + t0 + ", " + t1 + "]");
        run(in);
        assertTrue(program.flows().lookup(f));
        assertEquals(2, f.packets);
        assertEquals(2L * (in.length - 14), f.bytes);
    }

    @Test
    void shouldSnatTcp()
    {
        assertIpv4Hit(TCP, FlowRecord.SNAT, false);
    }

    @Test
    void shouldDnatTcp()
    {
        assertIpv4Hit(TCP, FlowRecord.DNAT, false);
    }

    @Test
    void shouldSnatAndDnatTcp()
    {
        assertIpv4Hit(TCP, FlowRecord.SNAT | FlowRecord.DNAT, false);
    }

    @Test
    void shouldForwardTcpWithoutNat()
    {
        assertIpv4Hit(TCP, 0, false);
    }

    @Test
    void shouldSnatUdp()
    {
        assertIpv4Hit(UDP, FlowRecord.SNAT, false);
    }

    @Test
    void shouldSnatAndDnatUdp()
    {
        assertIpv4Hit(UDP, FlowRecord.SNAT | FlowRecord.DNAT, false);
    }

    @Test
    void shouldLeaveAZeroUdpChecksumZero()
    {
        assertIpv4Hit(UDP, FlowRecord.SNAT | FlowRecord.DNAT, true);
    }

    @Test
    void shouldForwardIpv6UdpWithNatAndHopLimit()
    {
        assertIpv6Hit(UDP);
    }

    @Test
    void shouldForwardIpv6TcpWithNatAndHopLimit()
    {
        assertIpv6Hit(TCP);
    }

    void assertIpv6Hit(final int protocol)
    {
        final long[] src = {0x2001_0db8_0000_0001L, 0x0000_0000_0000_0001L};
        final long[] dst = {0x2001_0db8_0000_0002L, 0x0000_0000_0000_0002L};
        final long[] newSrc = {0x2001_0db8_ffff_0000L, 0x1234_5678_9abc_def0L};
        final long[] newDst = {0xfd00_0000_0000_0000L, 0x0000_0000_0000_0099L};
        final FlowRecord f = new FlowRecord();
        f.ifindex = LO;
        f.family = 6;
        f.protocol = protocol;
        f.srcHi = src[0];
        f.srcLo = src[1];
        f.dstHi = dst[0];
        f.dstLo = dst[1];
        f.srcPort = 5000;
        f.dstPort = 53;
        f.egress = EGRESS;
        f.mtu = 1500;
        f.flags = FlowRecord.SNAT | FlowRecord.DNAT;
        f.dstMac = NEXT_HOP_MAC;
        f.srcMac = EGRESS_MAC;
        f.newSrcHi = newSrc[0];
        f.newSrcLo = newSrc[1];
        f.newDstHi = newDst[0];
        f.newDstLo = newDst[1];
        f.newSrcPort = 6000;
        f.newDstPort = 5353;
        assertTrue(program.flows().insert(f));
        final byte[] in = Packets.ipv6(protocol, src, dst, 5000, 53, 64, protocol, ACK, 77);
        final Run r = run(in);
        assertEquals(LibBpf.XDP_REDIRECT, r.retval());
        final ByteBuffer o = ByteBuffer.wrap(r.out());
        assertEquals(NEXT_HOP_MAC, ((o.getShort(0) & 0xFFFFL) << 32) | (o.getInt(2) & 0xFFFF_FFFFL));
        assertEquals(EGRESS_MAC, ((o.getShort(6) & 0xFFFFL) << 32) | (o.getInt(8) & 0xFFFF_FFFFL));
        assertEquals(63, o.get(21) & 0xFF);
        assertEquals(newSrc[0], o.getLong(22));
        assertEquals(newSrc[1], o.getLong(30));
        assertEquals(newDst[0], o.getLong(38));
        assertEquals(newDst[1], o.getLong(46));
        assertEquals(6000, o.getShort(54) & 0xFFFF);
        assertEquals(5353, o.getShort(56) & 0xFFFF);
        assertTrue(Packets.ipv6L4Ok(r.out()), "L4 checksum over IPv6");
        assertSameExcept(in, r.out(), 0, 12, 21, 1, 22, 32, 54, 4, protocol == TCP ? 54 + 16 : 54 + 6, 2);
        assertTrue(program.flows().lookup(f));
        assertEquals(1, f.packets);
        assertEquals(in.length - 14, f.bytes);
        assertEquals(newSrc[1], f.newSrcLo);
    }

    /** The frame goes to Java unchanged and the reason is counted. */
    void assertToJava(final byte[] in, final int stat)
    {
        final long[] before = program.stats();
        final Run r = run(in);
        assertEquals(LibBpf.XDP_PASS, r.retval(), "no socket registered: XDP_PASS");
        assertArrayEquals(in, r.out());
        final long[] d = delta(before);
        assertEquals(1, d[stat], "stat " + stat + " in " + Arrays.toString(d));
        assertEquals(0, d[XdpProgram.STAT_FAST]);
        assertEquals(1, d[XdpProgram.STAT_XSK_MISSING]);
    }

    @Test
    void shouldSendEveryExceptionToJava()
    {
        assertTrue(program.flows().insert(flow4(TCP, 1000, 80, FlowRecord.SNAT)));
        final FlowRecord small = flow4(UDP, 1000, 80, FlowRecord.SNAT);
        small.mtu = 100;
        assertTrue(program.flows().insert(small));
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1001, 80, ACK, 10), XdpProgram.STAT_MISS);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, SYN, 0), XdpProgram.STAT_TCP_FLAGS);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, FIN | ACK, 0), XdpProgram.STAT_TCP_FLAGS);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, RST, 0), XdpProgram.STAT_TCP_FLAGS);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, 64, 0x2000, ACK, 10, false, 5), XdpProgram.STAT_FRAGMENT);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, 64, 0x0010, ACK, 10, false, 5), XdpProgram.STAT_FRAGMENT);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, 1, 0x4000, ACK, 10, false, 5), XdpProgram.STAT_TTL);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, 0, 0x4000, ACK, 10, false, 5), XdpProgram.STAT_TTL);
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, 64, 0x4000, ACK, 10, false, 6), XdpProgram.STAT_OTHER);
        assertToJava(Packets.ipv4(UDP, CLIENT, SERVER, 1000, 80, 0, 100), XdpProgram.STAT_MTU);
        // exactly the MTU still goes fast
        final byte[] fits = Packets.ipv4(UDP, CLIENT, SERVER, 1000, 80, 0, 100 - 28);
        assertEquals(LibBpf.XDP_REDIRECT, run(fits).retval());
        // ARP
        final byte[] arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertToJava(arp, XdpProgram.STAT_OTHER);
        // VLAN-tagged IPv4 of an offloaded flow
        final byte[] plain = Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, ACK, 10);
        final byte[] tagged = new byte[plain.length + 4];
        System.arraycopy(plain, 0, tagged, 0, 12);
        tagged[12] = (byte)0x81;
        tagged[13] = 0x00;
        tagged[15] = 10;
        System.arraycopy(plain, 12, tagged, 16, plain.length - 12);
        assertToJava(tagged, XdpProgram.STAT_OTHER);
        // IPv6 fragment header, hop limit 1, ICMPv6
        final long[] a = {0x2001_0db8_0000_0001L, 1};
        final long[] b = {0x2001_0db8_0000_0002L, 2};
        assertToJava(Packets.ipv6(UDP, a, b, 1, 2, 64, 44, 0, 8), XdpProgram.STAT_FRAGMENT);
        assertToJava(Packets.ipv6(UDP, a, b, 1, 2, 64, 58, 0, 8), XdpProgram.STAT_OTHER);
        final FlowRecord v6 = new FlowRecord();
        v6.ifindex = LO;
        v6.family = 6;
        v6.protocol = UDP;
        v6.srcHi = a[0];
        v6.srcLo = a[1];
        v6.dstHi = b[0];
        v6.dstLo = b[1];
        v6.srcPort = 1;
        v6.dstPort = 2;
        v6.egress = EGRESS;
        v6.mtu = 1500;
        assertTrue(program.flows().insert(v6));
        assertToJava(Packets.ipv6(UDP, a, b, 1, 2, 1, UDP, 0, 8), XdpProgram.STAT_TTL);
        // IPv6 UDP without a checksum (0: invalid over IPv6, RFC 8200 8.1): an incremental update on 0 would make garbage
        final byte[] noChecksum = Packets.ipv6(UDP, a, b, 1, 2, 64, UDP, 0, 8);
        noChecksum[14 + 40 + 6] = 0;
        noChecksum[14 + 40 + 7] = 0;
        assertToJava(noChecksum, XdpProgram.STAT_OTHER);
        assertEquals(LibBpf.XDP_REDIRECT, run(Packets.ipv6(UDP, a, b, 1, 2, 64, UDP, 0, 8)).retval(), "with a checksum it goes fast");
        // a runt frame
        assertToJava(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0, 0x45}, XdpProgram.STAT_OTHER);
    }

    @Test
    void shouldGoToJavaUnchangedWhenTheEgressPortIsMissing()
    {
        final FlowRecord f = flow4(TCP, 1000, 80, FlowRecord.SNAT);
        f.egress = 60;   // no devmap entry
        assertTrue(program.flows().insert(f));
        assertToJava(Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, ACK, 10), XdpProgram.STAT_REDIRECT_FAILED);
        assertTrue(program.flows().lookup(f));
        assertEquals(0, f.packets);
    }

    @Test
    void shouldSendEverythingToTheSocketFromFgXsk()
    {
        assertTrue(program.flows().insert(flow4(TCP, 1000, 80, FlowRecord.SNAT)));
        final byte[] in = Packets.ipv4(TCP, CLIENT, SERVER, 1000, 80, ACK, 10);
        final long[] before = program.stats();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = arena.allocate(in.length + 64);
            final int[] len = new int[1];
            assertEquals(LibBpf.XDP_PASS, LibBpf.testRun(program.programFd(false), arena.allocateFrom(ValueLayout.JAVA_BYTE, in), out, len));
        }
        final long[] d = delta(before);
        assertEquals(1, d[XdpProgram.STAT_RX]);
        assertEquals(0, d[XdpProgram.STAT_FAST]);
        assertEquals(1, d[XdpProgram.STAT_XSK_MISSING]);
    }

    @Test
    void shouldRefuseInsertsWhenFullOrExisting()
    {
        final FlowTable table = program.flows();
        assertEquals(4, table.capacity());
        for (int i = 0; i < 4; i++)
        {
            assertTrue(table.insert(flow4(TCP, 2000 + i, 80, 0)));
        }
        assertFalse(table.insert(flow4(TCP, 2000, 80, 0)), "exists");
        assertFalse(table.insert(flow4(TCP, 3000, 80, 0)), "full");
        final List<Integer> ports = new ArrayList<>();
        assertEquals(4, table.forEach(flow -> {
            ports.add(flow.srcPort);
            assertEquals(CLIENT & 0xFFFF_FFFFL, flow.srcLo);
            assertEquals(0x1234_5678_9abc_def0L, flow.cookie);
            assertEquals(EGRESS_MAC, flow.srcMac);
        }));
        ports.sort(null);
        assertEquals(List.of(2000, 2001, 2002, 2003), ports);
        final FlowRecord gone = flow4(TCP, 2001, 80, 0);
        assertTrue(table.remove(gone));
        assertEquals(NEXT_HOP_MAC, gone.dstMac);
        assertFalse(table.remove(gone));
        assertFalse(table.lookup(gone));
        assertTrue(table.insert(flow4(TCP, 3000, 80, 0)), "room again");
        assertEquals(4, table.clear(), "2000, 2002, 2003 and 3000");
        assertEquals(0, table.forEach(flow -> { }));
    }
}
