package io.flowgate.stack;

import static io.flowgate.stack.Packets.LOCAL4;
import static io.flowgate.stack.Packets.LOCAL6_HI;
import static io.flowgate.stack.Packets.LOCAL6_LO;
import static io.flowgate.stack.Packets.PEER4;
import static io.flowgate.stack.Packets.PEER6_HI;
import static io.flowgate.stack.Packets.PEER6_LO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.stack.api.UdpHandler;
import io.flowgate.stack.api.UdpSocket;
import io.flowgate.stack.ip.IpCounters;
import io.flowgate.stack.ip.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The IP and UDP layers of {@link Stack} driven with real mbufs; a test transport stands for TCP. */
class StackIpUdpTest
{
    private static final long S = 1_000_000_000L;
    private static Mempool pool;

    private int baseline;
    private Packets.Capture wire;
    private Stack stack;
    private final RecordingTransport tcp = new RecordingTransport();
    private long now = 5 * S;

    static final class RecordingTransport implements Transport
    {
        final List<byte[]> segments = new ArrayList<>();
        final List<long[]> errors = new ArrayList<>();
        int inErrors;
        int checksumErrors;

        @Override
        public void inputError(final boolean checksum)
        {
            inErrors++;
            checksumErrors += checksum ? 1 : 0;
        }

        @Override
        public void receive(final long address, final int length, final long srcHi, final long srcLo, final long dstHi,
                            final long dstLo, final int port, final long nowNs)
        {
            final byte[] b = new byte[length];
            for (int i = 0; i < length; i++)
            {
                b[i] = Memory.getByte(address + i);
            }
            segments.add(b);
        }

        @Override
        public void icmpError(final int kind, final int info, final long quoted, final int quotedLength, final long localHi,
                              final long localLo, final long remoteHi, final long remoteLo, final long nowNs)
        {
            errors.add(new long[] {kind, info, Memory.getShortBE(quoted), Memory.getShortBE(quoted + 2), localLo, remoteLo});
        }
    }

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("tip-stack", 1023, 0, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @BeforeEach
    void start()
    {
        baseline = pool.inUse();
        open(StackConfig.linuxDefaults());
    }

    private void open(final StackConfig config)
    {
        if (stack != null)
        {
            stack.close();
        }
        wire = new Packets.Capture(pool);
        stack = new Stack(config, tcp);
        stack.attach(wire);
    }

    @AfterEach
    void stop()
    {
        stack.close();
        assertEquals(baseline, pool.inUse(), "every mbuf freed exactly once");
    }

    private void in(final byte[] ip)
    {
        stack.receive(Packets.mbuf(pool, ip, (ip[0] & 0xF0) == 0x60, false, 0), 0, now);
    }

    private static byte[] data(final int n)
    {
        final byte[] d = new byte[n];
        for (int i = 0; i < n; i++)
        {
            d[i] = (byte)(i * 7 + 3);
        }
        return d;
    }

    private UdpSocket bind(final InetAddress address, final int port, final UdpHandler handler) throws StackException
    {
        return UdpSocket.bind(stack, InetAddr.hi(address), InetAddr.lo(address), port, handler);
    }

    private static InetAddress v4(final int a) throws Exception
    {
        return InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(a).array());
    }

    private static InetAddress v6(final long hi, final long lo) throws Exception
    {
        return InetAddress.getByAddress(ByteBuffer.allocate(16).putLong(hi).putLong(lo).array());
    }

    @Test
    void udpDatagramsReachTheirSocketInBothFamiliesAndThroughVlanAndChains() throws Exception
    {
        final int[] readable = new int[1];
        final UdpSocket socket = bind(InetAddress.getByName("::"), 5000, new UdpHandler()
        {
            @Override
            public void onReadable(final UdpSocket s)
            {
                readable[0]++;
            }
        });
        in(Packets.udp4(PEER4, LOCAL4, 4000, 5000, data(100), false));
        in(Packets.udp4(PEER4, LOCAL4, 4001, 5000, data(10), true)); // checksum 0: allowed over IPv4
        in(Packets.udp6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 4002, 5000, data(300), false));
        stack.receive(Packets.mbuf(pool, Packets.udp4(PEER4, LOCAL4, 4003, 5000, data(1000), false), false, true, 0), 0, now);
        stack.receive(Packets.mbuf(pool, Packets.udp4(PEER4, LOCAL4, 4004, 5000, data(1400), false), false, false, 600), 0, now);
        assertEquals(5, readable[0]);
        final ByteBuffer dst = ByteBuffer.allocate(2000);
        InetSocketAddress from = socket.receive(dst);
        assertEquals(new InetSocketAddress(v4(PEER4), 4000), from);
        dst.flip();
        assertArrayEquals(data(100), Arrays.copyOf(dst.array(), dst.limit()));
        dst.clear();
        assertEquals(4001, socket.receive(dst).getPort());
        dst.clear();
        from = socket.receive(dst);
        assertEquals(new InetSocketAddress(v6(PEER6_HI, PEER6_LO), 4002), from);
        assertEquals(300, dst.position());
        dst.clear();
        assertEquals(4003, socket.receive(dst).getPort());
        assertEquals(1000, dst.position());
        dst.clear();
        assertEquals(4004, socket.receive(dst).getPort());
        assertArrayEquals(data(1400), Arrays.copyOf(dst.array(), 1400), "the chained mbuf copied whole");
        assertNull(socket.receive(dst));
        assertEquals(4, stack.ip4Counters().inDelivers);
        assertEquals(1, stack.ip6Counters().inDelivers);
        assertEquals(5, stack.udp().inDatagrams);
        final ByteBuffer small = ByteBuffer.allocate(10);
        in(Packets.udp4(PEER4, LOCAL4, 4005, 5000, data(50), false));
        socket.receive(small);
        assertEquals(10, small.position(), "truncated like recvfrom");
        socket.close();
    }

    @Test
    void badHeadersAreCountedAndDropped()
    {
        final byte[] good = Packets.udp4(PEER4, LOCAL4, 1, 2, data(20), false);
        final byte[] version = good.clone();
        version[0] = 0x55;
        Packets.fixIpv4Checksum(version);
        in(version);
        final byte[] ihl = good.clone();
        ihl[0] = 0x44;
        in(ihl);
        final byte[] sum = good.clone();
        sum[10] ^= 1;
        in(sum);
        final byte[] truncated = good.clone();
        ByteBuffer.wrap(truncated).putShort(2, (short)(good.length + 10));
        Packets.fixIpv4Checksum(truncated);
        in(truncated);
        in(Packets.udp4(PEER4, 0x0A000009, 1, 2, data(20), false)); // not the box's address
        final IpCounters c = stack.ip4Counters();
        assertEquals(5, c.inReceives);
        assertEquals(3, c.inHdrErrors);
        assertEquals(1, c.inCsumErrors);
        assertEquals(1, c.inTruncatedPkts);
        assertEquals(1, c.inAddrErrors);
        assertEquals(0, c.inDelivers);
        final byte[] v6 = Packets.udp6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 2, data(20), false);
        final byte[] v6Long = v6.clone();
        ByteBuffer.wrap(v6Long).putShort(4, (short)200);
        in(v6Long);
        in(Arrays.copyOf(v6, 30));
        assertEquals(1, stack.ip6Counters().inTruncatedPkts);
        assertEquals(1, stack.ip6Counters().inHdrErrors);
        assertTrue(wire.sent.isEmpty());
    }

    @Test
    void transportChecksumsAreVerifiedBeforeDelivery() throws Exception
    {
        final UdpSocket socket = bind(InetAddress.getByName("::"), 53, null);
        final byte[] bad = Packets.udp4(PEER4, LOCAL4, 1, 53, data(20), false);
        bad[30] ^= 1;
        in(bad);
        in(Packets.udp6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 53, data(20), true)); // zero: refused over IPv6
        assertEquals(1, stack.udp().inCsumErrors);
        assertEquals(2, stack.udp().inErrors);
        assertNull(socket.receive(ByteBuffer.allocate(100)));
        in(Packets.tcp4(PEER4, LOCAL4, 40000, 80, data(33)));
        final byte[] badTcp = Packets.tcp4(PEER4, LOCAL4, 40000, 80, data(33));
        badTcp[50] ^= 1;
        in(badTcp);
        assertEquals(1, tcp.segments.size());
        assertEquals(53, tcp.segments.get(0).length);
        assertEquals(1, tcp.checksumErrors, "the bad segment reached TCP's counters, not its input");
        assertEquals(1, tcp.inErrors);
        socket.close();
    }

    @Test
    void portUnreachableIsAnsweredWithinTheRateLimit()
    {
        open(new StackConfig(60 * S, true, 1024, 4096, 1, 5, 6, 15, "cubic", true, true, true, 4 << 20, 6 << 20, 40_000_000,
            200_000_000, 120 * S, S, 7200 * S, 75 * S, 9, 60 * S, 10, 32768, 60999, 65536, 4 << 20, 30 * S, 208 << 10, 1, 2));
        for (int i = 0; i < 5; i++)
        {
            in(Packets.udp4(PEER4, LOCAL4, 1234, 9999, data(20), false));
        }
        assertEquals(5, stack.udp().noPorts);
        assertEquals(2, wire.sent.size(), "a burst of 2");
        assertEquals(3, stack.ip4Counters().icmpOutRateLimited);
        final ByteBuffer icmp = ByteBuffer.wrap(wire.sent.get(0));
        assertEquals(1, icmp.get(9));
        assertEquals(LOCAL4, icmp.getInt(12));
        assertEquals(PEER4, icmp.getInt(16));
        assertEquals(3, icmp.get(20));
        assertEquals(3, icmp.get(21));
        assertEquals(0, Packets.checksum(wire.sent.get(0), 20, wire.sent.get(0).length - 20, 0));
        assertEquals(9999, icmp.getShort(20 + 8 + 20 + 2) & 0xFFFF, "the datagram quoted");
        now += S; // one token back
        in(Packets.udp6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 9999, data(20), false));
        assertEquals(3, wire.sent.size());
        final byte[] e6 = wire.sent.get(2);
        assertEquals(58, e6[6]);
        assertEquals(1, e6[40]);
        assertEquals(4, e6[41]);
    }

    @Test
    void unknownProtocolsAreAnswered()
    {
        in(Packets.ipv4(PEER4, LOCAL4, 132, 9, 0, data(40)));
        in(Packets.ipv6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 132, data(40)));
        assertEquals(1, stack.ip4Counters().inUnknownProtos);
        assertEquals(1, stack.ip6Counters().inUnknownProtos);
        assertEquals(2, wire.sent.size());
        assertEquals(3, wire.sent.get(0)[20]);
        assertEquals(2, wire.sent.get(0)[21]);
        final ByteBuffer e6 = ByteBuffer.wrap(wire.sent.get(1));
        assertEquals(4, e6.get(40));
        assertEquals(1, e6.get(41));
        assertEquals(6, e6.getInt(44), "pointer at the next header field");
    }

    @Test
    void ipv4FragmentsAreReassembledInAnyOrder() throws Exception
    {
        final UdpSocket socket = bind(v4(LOCAL4), 7, null);
        final byte[] whole = Packets.udp4(PEER4, LOCAL4, 1, 7, data(3000), false);
        ByteBuffer.wrap(whole).putShort(4, (short)0x1234);
        in(Packets.fragment4(whole, 2400, whole.length - 20 - 2400, false));
        in(Packets.fragment4(whole, 0, 1200, true));
        in(Packets.fragment4(whole, 0, 1200, true)); // an exact duplicate: itself dropped
        assertEquals(1, stack.reassembly().pending());
        in(Packets.fragment4(whole, 1200, 1200, true));
        assertEquals(0, stack.reassembly().pending());
        assertEquals(0, stack.reassembly().held());
        final ByteBuffer dst = ByteBuffer.allocate(4000);
        assertNotNull(socket.receive(dst));
        assertArrayEquals(data(3000), Arrays.copyOf(dst.array(), dst.position()));
        assertEquals(4, stack.ip4Counters().reasmReqds);
        assertEquals(1, stack.ip4Counters().reasmOKs);
        assertEquals(1, stack.ip4Counters().reasmFails);
        socket.close();
    }

    @Test
    void overlappingFragmentsDropTheDatagram() throws Exception
    {
        final UdpSocket socket = bind(v4(LOCAL4), 7, null);
        final byte[] whole = Packets.udp4(PEER4, LOCAL4, 1, 7, data(3000), false);
        in(Packets.fragment4(whole, 0, 1200, true));
        in(Packets.fragment4(whole, 1192, 1200, true)); // RFC 5722
        assertEquals(0, stack.reassembly().pending());
        in(Packets.fragment4(whole, 2392, whole.length - 20 - 2392, false));
        assertEquals(1, stack.reassembly().pending(), "a new datagram, incomplete");
        assertNull(socket.receive(ByteBuffer.allocate(4000)));
        assertEquals(1, stack.ip4Counters().reasmFails);
        socket.close();
    }

    @Test
    void ipv6FragmentsAreReassembled() throws Exception
    {
        final UdpSocket socket = bind(InetAddress.getByName("::"), 7, null);
        final byte[] udp = Packets.udp6Segment(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 7, data(2000), false);
        in(Packets.fragment6(udp, 17, 99, 1000, udp.length - 1000, false));
        in(Packets.fragment6(udp, 17, 99, 0, 1000, true));
        final ByteBuffer dst = ByteBuffer.allocate(4000);
        assertNotNull(socket.receive(dst));
        assertArrayEquals(data(2000), Arrays.copyOf(dst.array(), dst.position()));
        assertEquals(1, stack.ip6Counters().reasmOKs);
        in(Packets.fragment6(udp, 17, 100, 0, 1000, true));
        in(Packets.fragment6(udp, 17, 100, 992, 1000, true));
        assertEquals(1, stack.ip6Counters().reasmFails, "overlap");
        assertEquals(0, stack.reassembly().pending());
        socket.close();
    }

    @Test
    void fragmentsBeyondTheMemoryLimitAreDropped()
    {
        open(new StackConfig(60 * S, true, 1024, 4096, 1, 5, 6, 15, "cubic", true, true, true, 4 << 20, 6 << 20, 40_000_000,
            200_000_000, 120 * S, S, 7200 * S, 75 * S, 9, 60 * S, 10, 32768, 60999, 65536, 3000, 30 * S, 208 << 10, 1000, 50));
        for (int id = 0; id < 4; id++)
        {
            final byte[] whole = Packets.udp4(PEER4, LOCAL4, 1, 7, data(3000), false);
            ByteBuffer.wrap(whole).putShort(4, (short)id);
            in(Packets.fragment4(whole, 0, 1200, true));
        }
        assertEquals(2, stack.reassembly().pending());
        assertEquals(2400, stack.reassembly().held());
        assertEquals(2, stack.ip4Counters().reasmFails);
    }

    @Test
    void expiredDatagramsAreDroppedAndAnsweredWhenTheFirstFragmentCame()
    {
        final byte[] a = Packets.udp4(PEER4, LOCAL4, 1, 7, data(3000), false);
        ByteBuffer.wrap(a).putShort(4, (short)1);
        final byte[] b = Packets.udp4(PEER4, LOCAL4, 1, 7, data(3000), false);
        ByteBuffer.wrap(b).putShort(4, (short)2);
        in(Packets.fragment4(a, 0, 1200, true));
        in(Packets.fragment4(b, 1200, 1200, true));
        stack.doWork(now + 29 * S);
        assertEquals(2, stack.reassembly().pending());
        stack.doWork(now + 30 * S);
        assertEquals(0, stack.reassembly().pending());
        assertEquals(2, stack.ip4Counters().reasmTimeout);
        assertEquals(1, wire.sent.size(), "time exceeded only for the datagram whose first fragment came");
        final byte[] e = wire.sent.get(0);
        assertEquals(11, e[20]);
        assertEquals(1, e[21]);
        assertEquals(20 + 8 + 20 + 8, e.length, "the first fragment's header and 8 bytes quoted");
    }

    @Test
    void icmpErrorsReachTheTransportOfTheQuotedPacket() throws Exception
    {
        final int[] error = new int[2];
        final UdpSocket socket = bind(v4(LOCAL4), 6000, new UdpHandler()
        {
            @Override
            public void onError(final UdpSocket s, final int kind, final int info)
            {
                error[0] = kind;
                error[1] = info;
            }
        });
        final byte[] sentUdp = Packets.udp4(LOCAL4, PEER4, 6000, 53, data(20), false);
        in(Packets.icmp4(PEER4, LOCAL4, 3, 3, 0, Arrays.copyOf(sentUdp, 28)));
        assertEquals(Transport.ERROR_UNREACHABLE_HARD, error[0]);
        in(Packets.icmp4(PEER4, LOCAL4, 3, 1, 0, Arrays.copyOf(sentUdp, 28)));
        assertEquals(Transport.ERROR_UNREACHABLE_SOFT, error[0]);
        final byte[] sentTcp = Packets.tcp4(LOCAL4, PEER4, 40000, 80, data(1400));
        in(Packets.icmp4(0x0A000063, LOCAL4, 3, 4, 1280, Arrays.copyOf(sentTcp, 48)));
        in(Packets.icmp4(0x0A000063, LOCAL4, 11, 0, 0, Arrays.copyOf(sentTcp, 48)));
        final byte[] sentTcp6 = Packets.ipv6(LOCAL6_HI, LOCAL6_LO, PEER6_HI, PEER6_LO, 6, new byte[20]);
        ByteBuffer.wrap(sentTcp6).putShort(40, (short)40001).putShort(42, (short)443);
        in(Packets.icmp6(2, 0, 1400, sentTcp6));
        in(Packets.icmp4(PEER4, LOCAL4, 5, 0, 0, Arrays.copyOf(sentTcp, 48))); // redirect: not handled
        assertEquals(3, tcp.errors.size());
        assertArrayEquals(new long[] {Transport.ERROR_PACKET_TOO_BIG, 1280, 40000, 80, InetAddr.v4(LOCAL4), InetAddr.v4(PEER4)},
            tcp.errors.get(0));
        assertEquals(Transport.ERROR_TIME_EXCEEDED, tcp.errors.get(1)[0]);
        assertArrayEquals(new long[] {Transport.ERROR_PACKET_TOO_BIG, 1400, 40001, 443, LOCAL6_LO, PEER6_LO}, tcp.errors.get(2));
        assertEquals(1, stack.ip4Counters().icmpInUnhandled);
        assertEquals(0, stack.ip4Counters().icmpInErrors);
        socket.close();
    }

    @Test
    void udpSendsAreWrittenByTheStackInItsDutyCycle() throws Exception
    {
        final UdpSocket socket = bind(InetAddress.getByName("::"), 0, null);
        assertTrue(socket.port() >= 32768 && socket.port() <= 60999, "ephemeral");
        assertTrue(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(100))));
        assertTrue(socket.send(new InetSocketAddress(v6(PEER6_HI, PEER6_LO), 53), ByteBuffer.wrap(data(50))));
        assertTrue(socket.send(new InetSocketAddress(v4(0xC0000201), 53), ByteBuffer.wrap(data(50)))); // no route
        assertTrue(wire.sent.isEmpty());
        stack.doWork(now);
        assertEquals(2, wire.sent.size());
        assertEquals(1, stack.udp().outNoRoutes);
        final byte[] p = wire.sent.get(0);
        final ByteBuffer b = ByteBuffer.wrap(p);
        assertEquals(0x45, p[0]);
        assertEquals(128, b.getShort(2));
        assertEquals(0, Packets.checksum(p, 0, 20, 0));
        assertEquals(LOCAL4, b.getInt(12));
        assertEquals(PEER4, b.getInt(16));
        assertEquals(socket.port(), b.getShort(20) & 0xFFFF);
        assertEquals(0, Packets.checksum(p, 20, 108, Packets.pseudo4(LOCAL4, PEER4, 17, 108)));
        final byte[] q = wire.sent.get(1);
        assertEquals(0x60, q[0] & 0xF0);
        assertEquals(0, Packets.checksum(q, 40, 58, Packets.pseudo6(LOCAL6_HI, LOCAL6_LO, PEER6_HI, PEER6_LO, 17, 58)));
        socket.close();
        assertFalse(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(1))));
    }

    @Test
    void bindRefusesAddressesInUseAndForeignAddresses() throws Exception
    {
        final UdpSocket a = bind(v4(LOCAL4), 7000, null);
        assertThrows(StackException.class, () -> bind(v4(LOCAL4), 7000, null));
        assertThrows(StackException.class, () -> bind(InetAddress.getByName("0.0.0.0"), 7000, null));
        assertThrows(StackException.class, () -> bind(v4(0x0A000009), 7001, null));
        final UdpSocket b = bind(v6(LOCAL6_HI, LOCAL6_LO), 7000, null);
        a.close();
        final UdpSocket c = bind(v4(LOCAL4), 7000, null);
        b.close();
        c.close();
        assertEquals(0, stack.udp().boundCount());
    }

    @Test
    void receiveQueueIsBoundedAndCloseFreesEverything() throws Exception
    {
        open(new StackConfig(60 * S, true, 1024, 4096, 1, 5, 6, 15, "cubic", true, true, true, 4 << 20, 6 << 20, 40_000_000,
            200_000_000, 120 * S, S, 7200 * S, 75 * S, 9, 60 * S, 10, 32768, 60999, 65536, 4 << 20, 30 * S, 4096, 1000, 50));
        bind(v4(LOCAL4), 7, null);
        for (int i = 0; i < 10; i++)
        {
            in(Packets.udp4(PEER4, LOCAL4, 1, 7, data(1000), false));
        }
        assertEquals(4, stack.udp().inDatagrams, "4096 bytes hold four 1024-byte records");
        assertEquals(6, stack.udp().rcvbufErrors);
        final byte[] whole = Packets.udp4(PEER4, LOCAL4, 1, 7, data(3000), false);
        in(Packets.fragment4(whole, 0, 1200, true));
        stack.close();
        assertTrue(stack.isClosed());
        assertEquals(0, stack.udp().boundCount());
        in(Packets.udp4(PEER4, LOCAL4, 1, 7, data(10), false)); // freed, not processed
        assertEquals(0, stack.doWork(now));
        assertThrows(StackException.class, () -> bind(v4(LOCAL4), 8, null));
    }

    @Test
    void anIpv4WildcardReceivesOnlyIpv4() throws Exception
    {
        final UdpSocket socket = bind(InetAddress.getByName("0.0.0.0"), 5001, null);
        in(Packets.udp6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 5001, data(20), false));
        in(Packets.udp4(PEER4, LOCAL4, 1, 5001, data(20), false));
        assertEquals(1, stack.udp().noPorts);
        assertEquals(1, stack.udp().inDatagrams);
        final UdpSocket six = bind(v6(LOCAL6_HI, LOCAL6_LO), 5001, null); // no overlap with 0.0.0.0
        assertFalse(socket.send(new InetSocketAddress(v6(PEER6_HI, PEER6_LO), 53), ByteBuffer.wrap(data(1))));
        six.close();
        socket.close();
    }

    @Test
    void ipv6ExtensionHeadersAreWalkedToTheTransport() throws Exception
    {
        final UdpSocket socket = bind(InetAddress.getByName("::"), 5002, null);
        final byte[] udp = Packets.udp6Segment(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 5002, data(30), false);
        final byte[] withOptions = new byte[8 + udp.length];
        withOptions[0] = 17; // destination options, 8 bytes (PadN), then UDP
        withOptions[2] = 1;
        withOptions[3] = 4;
        System.arraycopy(udp, 0, withOptions, 8, udp.length);
        in(Packets.ipv6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 60, withOptions));
        assertNotNull(socket.receive(ByteBuffer.allocate(100)));
        withOptions[0] = (byte)200;
        in(Packets.ipv6(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 60, withOptions));
        assertEquals(1, wire.sent.size());
        assertEquals(40, ByteBuffer.wrap(wire.sent.get(0)).getInt(44), "pointer at the options header's next header");
        socket.close();
    }

    @Test
    void datagramsLargerThanTheRouteMtuAreNotSent() throws Exception
    {
        final UdpSocket socket = bind(v4(LOCAL4), 5003, null);
        assertFalse(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(3000))), "larger than a buffer");
        assertTrue(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(1473))));
        assertTrue(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(1472))));
        stack.doWork(now);
        assertEquals(1, stack.udp().outTooBig);
        assertEquals(1, wire.sent.size());
        assertEquals(1500, wire.sent.get(0).length);
        socket.close();
    }

    @Test
    void inputAllocatesNothingPerPacket() throws Exception
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        final UdpSocket socket = bind(v4(LOCAL4), 5004, null);
        final byte[] datagram = Packets.udp4(PEER4, LOCAL4, 1, 5004, data(64), false);
        final byte[] whole = Packets.udp4(PEER4, LOCAL4, 1, 5004, data(2000), false);
        final byte[] first = Packets.fragment4(whole, 0, 1200, true);
        final byte[] last = Packets.fragment4(whole, 1200, whole.length - 20 - 1200, false);
        final long[] mbufs = new long[300];
        final ByteBuffer dst = ByteBuffer.allocate(4000);
        long allocated = 0;
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < mbufs.length; i += 3)
            {
                mbufs[i] = Packets.mbuf(pool, datagram, false, false, 0);
                mbufs[i + 1] = Packets.mbuf(pool, first, false, false, 0);
                mbufs[i + 2] = Packets.mbuf(pool, last, false, false, 0);
            }
            final long threadId = Thread.currentThread().threadId();
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (final long m : mbufs)
            {
                stack.receive(m, 0, now);
            }
            allocated = threads.getThreadAllocatedBytes(threadId) - before;
            while (socket.receive(dst) != null)
            {
                dst.clear();
            }
        }
        assertEquals(400, stack.ip4Counters().reasmOKs);
        assertTrue(allocated < 1024, "bytes allocated for 300 packets: " + allocated);
        socket.close();
    }

    @Test
    void hostSocketsBindUdpThroughTheCommandQueue() throws Exception
    {
        final UdpSocket socket = stack.sockets().bindUdp(v4(LOCAL4), 5005, null);
        assertEquals(5005, socket.port());
        in(Packets.udp4(PEER4, LOCAL4, 1, 5005, data(20), false));
        assertNotNull(socket.receive(ByteBuffer.allocate(100)));
        assertThrows(StackException.class, () -> stack.sockets().bindUdp(v4(LOCAL4), 5005, null));
        stack.doWork(now); // the queue runs on this thread from now on: close is done at once
        socket.close();
        assertEquals(0, stack.udp().boundCount());
    }

    @Test
    void expiredIpv6DatagramsAreAnsweredWithTimeExceeded()
    {
        final byte[] udp = Packets.udp6Segment(PEER6_HI, PEER6_LO, LOCAL6_HI, LOCAL6_LO, 1, 7, data(2000), false);
        in(Packets.fragment6(udp, 17, 77, 0, 1000, true));
        in(Packets.fragment6(udp, 17, 78, 1000, udp.length - 1000, false));
        stack.doWork(now + 30 * S);
        assertEquals(2, stack.ip6Counters().reasmTimeout);
        assertEquals(1, wire.sent.size());
        final ByteBuffer e = ByteBuffer.wrap(wire.sent.get(0));
        assertEquals(3, e.get(40));
        assertEquals(1, e.get(41));
        assertEquals(44, e.get(48 + 6), "the first fragment quoted with its Fragment header");
        assertEquals(77, e.getInt(48 + 40 + 4));
        assertEquals(1, e.getShort(48 + 40 + 2));
        assertEquals(LOCAL6_LO, e.getLong(16));
        assertEquals(PEER6_LO, e.getLong(32));
        assertEquals(0, Packets.checksum(wire.sent.get(0), 40, wire.sent.get(0).length - 40,
            Packets.pseudo6(LOCAL6_HI, LOCAL6_LO, PEER6_HI, PEER6_LO, 58, wire.sent.get(0).length - 40)));
    }

    @Test
    void ethernetPaddingIsTrimmedAndMalformedIcmpCounted() throws Exception
    {
        final int[] error = {-1};
        final UdpSocket socket = bind(InetAddress.getByName("::"), 5006, new UdpHandler()
        {
            @Override
            public void onError(final UdpSocket s, final int kind, final int info)
            {
                error[0] = kind;
            }
        });
        in(Arrays.copyOf(Packets.udp4(PEER4, LOCAL4, 1, 5006, data(6), false), 46)); // padded to the 60-byte minimum
        final ByteBuffer dst = ByteBuffer.allocate(100);
        assertNotNull(socket.receive(dst));
        assertEquals(6, dst.position());
        final byte[] sentUdp = Packets.udp4(LOCAL4, PEER4, 5006, 53, data(20), false);
        final byte[] badIcmp = Packets.icmp4(PEER4, LOCAL4, 3, 3, 0, Arrays.copyOf(sentUdp, 28));
        badIcmp[22] ^= 1;
        in(badIcmp);
        assertEquals(1, stack.ip4Counters().icmpInErrors);
        assertEquals(-1, error[0]);
        final byte[] sent6 = Packets.udp6(LOCAL6_HI, LOCAL6_LO, PEER6_HI, PEER6_LO, 5006, 53, data(20), false);
        in(Packets.icmp6(1, 1, 0, sent6)); // administratively prohibited: fatal in icmpv6_err_convert
        assertEquals(Transport.ERROR_UNREACHABLE_HARD, error[0]);
        in(Packets.icmp6(1, 3, 0, sent6)); // address unreachable: soft
        assertEquals(Transport.ERROR_UNREACHABLE_SOFT, error[0]);
        socket.close();
    }

    @Test
    void sendsWaitingForPacketBuffersGoOutInALaterCycle() throws Exception
    {
        final UdpSocket socket = bind(v4(LOCAL4), 5007, null);
        wire.empty = true;
        assertTrue(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(10))));
        assertTrue(socket.send(new InetSocketAddress(v4(PEER4), 53), ByteBuffer.wrap(data(10))));
        stack.doWork(now);
        assertTrue(wire.sent.isEmpty());
        wire.empty = false;
        stack.doWork(now);
        assertEquals(2, wire.sent.size());
        assertEquals(2, stack.udp().outDatagrams);
        assertEquals(0, stack.doWork(now), "idle");
        socket.close();
    }
}
