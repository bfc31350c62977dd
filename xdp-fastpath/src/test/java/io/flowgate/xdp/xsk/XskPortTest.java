package io.flowgate.xdp.xsk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.xdp.bpf.XdpMode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * XskPort against real veth pairs: the peer end sits in a namespace where Python AF_PACKET sockets send known frames
 * (IPv4/UDP, varying source port so a 2-queue veth spreads them) and capture what the port transmits. Needs root;
 * namespaces and veths are named {@code xk<pid>...} and removed after the class. veth runs AF_XDP in copy mode.
 */
class XskPortTest
{
    private static final String PY = "/usr/bin/python3";
    private static final String TAG = "xk" + (ProcessHandle.current().pid() % 100000);
    private static final String NS = TAG;
    private static final String[] PAIRS = {TAG + "a", TAG + "b", TAG + "m"};
    private static Mempool foreign;

    @BeforeAll
    static void setUp() throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for namespaces and AF_XDP");
        TestEal.get();
        foreign = Mempool.createPktmbufPool("xsk-foreign", 1023, 0, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
        sh("ip", "netns", "add", NS);
        for (final String pair : PAIRS)
        {
            final String queues = pair.endsWith("m") ? "2" : "1";
            sh("ip", "link", "add", pair + "0", "numrxqueues", queues, "numtxqueues", queues, "type", "veth", "peer", "name", pair + "1",
                "numrxqueues", queues, "numtxqueues", queues, "netns", NS);
            sh("sysctl", "-qw", "net.ipv6.conf." + pair + "0.disable_ipv6=1");
            sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf." + pair + "1.disable_ipv6=1");
            sh("ip", "link", "set", pair + "0", "up");
            sh("ip", "netns", "exec", NS, "ip", "link", "set", pair + "1", "up");
        }
    }

    @AfterAll
    static void tearDown() throws Exception
    {
        for (final String pair : PAIRS)
        {
            run("ip", "link", "del", pair + "0");
        }
        run("ip", "netns", "del", NS);
        if (foreign != null)
        {
            foreign.close();
        }
    }

    /**
     * Ports a test opened, closed after it whatever happened: a failed assertion must not leave a socket bound to the
     * queue (every later test on that veth would fail with EBUSY). Ports on a shared pool are closed by their test
     * before the pool; {@link XskPort#close} is idempotent.
     */
    private final List<XskPort> opened = new ArrayList<>();

    private XskPort open(final int id, final String name, final XskConfig config)
    {
        final XskPort port = XskPort.open(id, name, config);
        opened.add(port);
        return port;
    }

    private XskPort open(final int id, final String name, final XskConfig config, final XskPool pool)
    {
        final XskPort port = XskPort.open(id, name, config, pool);
        opened.add(port);
        return port;
    }

    @AfterEach
    void closePorts()
    {
        for (final XskPort port : opened)
        {
            port.close();
        }
        opened.clear();
    }

    private static XskConfig config(final String iface, final int queues)
    {
        return new XskConfig(iface, queues, 0, XskConfig.Bind.AUTO, 512, 2048, 0, 0, XskConfig.Program.LIBXDP_DEFAULT, XdpMode.AUTO);
    }

    @Test
    void shouldReceiveTheBytesTheLinuxPeerSent() throws Exception
    {
        final XskPort port = open(7, "xa", config(PAIRS[0] + "0", 1));
        assertTrue(!port.zeroCopy(), "veth binds in copy mode");
        final List<byte[]> sent = frames(8, 60, 100);
        send(PAIRS[0] + "1", sent);
        try (Arena arena = Arena.ofConfined())
        {
            final List<byte[]> got = receiveAll(port, 0, arena, sent.size(), 7);
            assertEquals(sent.size(), got.size());
            for (int i = 0; i < sent.size(); i++)
            {
                assertArrayEquals(sent.get(i), got.get(i), "frame " + i);
            }
            final EthDev.Stats stats = port.stats();
            assertTrue(stats.ipackets() >= sent.size());
        }
        port.close();
        assertEquals(0, port.mbufsLeftInUse());
    }

    @Test
    void shouldSendAWholeBurstLargerThanTheKernelsBatchInOneTransmit() throws Exception
    {
        // Copy mode: one sendto takes at most 32 descriptors (TX_BATCH_SIZE). 100 frames in one call, and no call after:
        // before the kick loop, 68 of them waited in the ring for the port's next transmit (an ARP reply, a stack's last
        // segments stalled that way).
        final XskPort port = open(4, "xb", config(PAIRS[0] + "0", 1));
        final List<byte[]> frames = frames(100, 64, 80);
        final Process capture = capture(PAIRS[0] + "1", frames.size());
        try (Arena arena = Arena.ofConfined())
        {
            final MbufBurst burst = new MbufBurst(arena, frames.size());
            for (int i = 0; i < frames.size(); i++)
            {
                final byte[] f = frames.get(i);
                final long m = port.pool().alloc();
                put(m, f, 0, f.length);
                burst.mbuf(i, m);
            }
            assertEquals(frames.size(), port.transmit(0, burst.address(), frames.size()));
            final List<byte[]> seen = captured(capture);
            assertEquals(frames.size(), seen.size(), "every frame left without another transmit call");
        }
        port.close();
        assertEquals(0, port.mbufsLeftInUse());
    }

    @Test
    void shouldTransmitUmemAndForeignAndChainedMbufsToThePeer() throws Exception
    {
        final int foreignBaseline = foreign.inUse();
        final XskPort port = open(3, "xa", config(PAIRS[0] + "0", 1));
        final List<byte[]> frames = frames(6, 200, 300);
        final Process capture = capture(PAIRS[0] + "1", frames.size());
        try (Arena arena = Arena.ofConfined())
        {
            final MbufBurst burst = new MbufBurst(arena, 8);
            for (int i = 0; i < frames.size(); i++)
            {
                final byte[] f = frames.get(i);
                final long m;
                if (i % 3 == 0)
                {
                    m = port.pool().alloc();
                    put(m, f, 0, f.length);
                }
                else if (i % 3 == 1)
                {
                    m = foreign.alloc();
                    put(m, f, 0, f.length);
                }
                else
                {
                    m = foreign.alloc();
                    final long tail = foreign.alloc();
                    put(m, f, 0, 100);
                    put(tail, f, 100, f.length - 100);
                    Mbuf.next(m, tail);
                    Mbuf.segments(m, 2);
                    Mbuf.packetLength(m, f.length);
                }
                burst.mbuf(i, m);
            }
            burst.count(frames.size());
            assertEquals(frames.size(), port.transmit(0, burst.address(), frames.size()));
            final List<byte[]> seen = captured(capture);
            assertEquals(frames.size(), seen.size());
            for (int i = 0; i < frames.size(); i++)
            {
                assertArrayEquals(frames.get(i), seen.get(i), "frame " + i);
            }
            assertEquals(frames.size(), port.stats().opackets());
        }
        port.close();
        assertEquals(0, port.mbufsLeftInUse());
        assertEquals(foreignBaseline, foreign.inUse());
    }

    @Test
    void shouldSpreadFlowsOverTwoQueuesOfOneUmem() throws Exception
    {
        final XskPort port = open(1, "xm", config(PAIRS[2] + "0", 2));
        assertEquals(2, port.rxQueues());
        assertEquals(2, XskPort.interfaceRxQueues(PAIRS[2] + "0"), "the interface's queues, for the unbound-queue warning");
        assertEquals(0, XskPort.interfaceRxQueues("xk-no-such-interface"));
        final List<byte[]> sent = frames(64, 80, 80);
        send(PAIRS[2] + "1", sent);
        try (Arena arena = Arena.ofConfined())
        {
            final MbufBurst burst = new MbufBurst(arena, 64);
            final int[] perQueue = new int[2];
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (perQueue[0] + perQueue[1] < sent.size() && System.nanoTime() < deadline)
            {
                for (int q = 0; q < 2; q++)
                {
                    final int n = port.receive(q, burst.address(), 64);
                    for (int i = 0; i < n; i++)
                    {
                        final long m = burst.mbuf(i);
                        if (isTest(m))
                        {
                            perQueue[q]++;
                        }
                        Mbuf.free(m);
                    }
                }
            }
            assertEquals(sent.size(), perQueue[0] + perQueue[1]);
            assertTrue(perQueue[0] > 0 && perQueue[1] > 0, "both queues received: " + perQueue[0] + "/" + perQueue[1]);
            final EthDev.Stats stats = port.stats();
            assertTrue(stats.queueIpackets()[0] >= perQueue[0] && stats.queueIpackets()[1] >= perQueue[1]);

            // Transmit on each queue (each with its own completion ring on the shared UMEM).
            final List<byte[]> out = frames(4, 100, 400);
            final Process capture = capture(PAIRS[2] + "1", out.size());
            for (int i = 0; i < out.size(); i++)
            {
                final long m = port.pool().alloc();
                put(m, out.get(i), 0, out.get(i).length);
                burst.mbuf(0, m);
                assertEquals(1, port.transmit(i % 2, burst.address(), 1));
            }
            final List<byte[]> seen = captured(capture);
            assertEquals(out.size(), seen.size());
            assertEquals(2, port.stats().queueOpackets()[0]);
            assertEquals(2, port.stats().queueOpackets()[1]);
        }
        port.close();
        assertEquals(0, port.mbufsLeftInUse());
    }

    @Test
    void shouldForwardBetweenTwoPortsBothWays() throws Exception
    {
        final XskPort a = open(0, "xa", config(PAIRS[0] + "0", 1));
        final XskPort b = open(1, "xb", config(PAIRS[1] + "0", 1));
        forwardBothWays(a, b);
        assertEquals(0, a.mbufsLeftInUse());
        assertEquals(0, b.mbufsLeftInUse());
    }

    @Test
    void shouldForwardWithoutCopyBetweenPortsSharingAPool() throws Exception
    {
        try (XskPool shared = XskPool.create("xsk-shared", 4096))
        {
            final XskPort a = open(0, "xa", config(PAIRS[0] + "0", 1), shared);
            final XskPort b = open(1, "xb", config(PAIRS[1] + "0", 1), shared);
            try
            {
                assertEquals(a.pool().address(), b.pool().address());
                forwardBothWays(a, b);
            }
            finally
            {
                a.close();
                b.close();
            }
            assertEquals(0, shared.mempool().inUse(), "every frame back in the shared pool");
        }
    }

    /**
     * Steady state allocates nothing. Measured over windows of 400 forwarded frames after a warm-up: the first time a
     * branch runs (a kick retried, a refill short of frames), the JVM links its call sites once and that is charged to
     * this thread (184 bytes seen in CI), so one window may carry it; a per-packet allocation shows in every window.
     */
    @Test
    void shouldReceiveAndTransmitWithoutAllocating() throws Exception
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().threadId();
        try (XskPool shared = XskPool.create("xsk-alloc", 4096); Arena arena = Arena.ofConfined())
        {
            final XskPort a = open(0, "xa", config(PAIRS[0] + "0", 1), shared);
            final XskPort b = open(1, "xb", config(PAIRS[1] + "0", 1), shared);
            try
            {
                final long burst = arena.allocate(8L * 32, 64).address();
                final List<byte[]> frames = frames(200, 60, 1400);
                for (int warm = 0; warm < 2; warm++)
                {
                    send(PAIRS[0] + "1", frames);
                    assertTrue(forwardLoop(a, b, burst, 200_000) >= 200, "warm-up forwarded the frames");
                }
                final List<Long> windows = new ArrayList<>();
                for (int w = 0; w < 4 && (windows.isEmpty() || windows.getLast() != 0); w++)
                {
                    send(PAIRS[0] + "1", frames);
                    send(PAIRS[0] + "1", frames);
                    final long before = threads.getThreadAllocatedBytes(thread);
                    final long forwarded = forwardLoop(a, b, burst, 200_000);
                    final long allocated = threads.getThreadAllocatedBytes(thread) - before;
                    assertTrue(forwarded >= 400, "forwarded " + forwarded);
                    windows.add(allocated);
                }
                assertEquals(0L, windows.getLast(), "bytes allocated by receive/transmit in each window of 400 frames: " + windows);
            }
            finally
            {
                a.close();
                b.close();
            }
            assertEquals(0, shared.mempool().inUse());
        }
    }

    private static long forwardLoop(final XskPort in, final XskPort out, final long burst, final int iterations)
    {
        long total = 0;
        for (int i = 0; i < iterations; i++)
        {
            final int n = in.receive(0, burst, 32);
            final int sent = out.transmit(0, burst, n);
            for (int k = sent; k < n; k++)
            {
                Mbuf.free(Memory.getLong(burst + 8L * k));
            }
            total += n;
        }
        return total;
    }

    private static void forwardBothWays(final XskPort a, final XskPort b) throws Exception
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MbufBurst burst = new MbufBurst(arena, 64);
            for (int dir = 0; dir < 2; dir++)
            {
                final XskPort in = dir == 0 ? a : b;
                final XskPort out = dir == 0 ? b : a;
                final List<byte[]> sent = frames(16, 64, 1400);
                final Process capture = capture(PAIRS[1 - dir] + "1", sent.size());
                send(PAIRS[dir] + "1", sent);
                int forwarded = 0;
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (forwarded < sent.size() && System.nanoTime() < deadline)
                {
                    final int n = in.receive(0, burst.address(), 64);
                    int keep = 0;
                    for (int i = 0; i < n; i++)
                    {
                        final long m = burst.mbuf(i);
                        assertEquals(in.id(), Mbuf.port(m));
                        if (isTest(m))
                        {
                            burst.mbuf(keep++, m);
                        }
                        else
                        {
                            Mbuf.free(m);
                        }
                    }
                    int done = 0;
                    while (done < keep)
                    {
                        done += out.transmit(0, burst.addressOf(done), keep - done);
                    }
                    forwarded += keep;
                }
                final List<byte[]> seen = captured(capture);
                assertEquals(sent.size(), seen.size(), "direction " + dir);
                for (int i = 0; i < sent.size(); i++)
                {
                    assertArrayEquals(sent.get(i), seen.get(i));
                }
            }
        }
        a.close();
        b.close();
    }

    @Test
    void shouldDropOversizeFramesBothWaysAndCountThem() throws Exception
    {
        sh("ip", "link", "set", PAIRS[1] + "0", "mtu", "3000");
        sh("ip", "netns", "exec", NS, "ip", "link", "set", PAIRS[1] + "1", "mtu", "3000");
        try
        {
            final XskPort port = open(2, "xb", config(PAIRS[1] + "0", 1));
            final List<byte[]> sent = new ArrayList<>(frames(1, 2500, 2500));
            sent.addAll(frames(1, 100, 100));
            send(PAIRS[1] + "1", sent);
            try (Arena arena = Arena.ofConfined())
            {
                final List<byte[]> got = receiveAll(port, 0, arena, 1, 2);
                assertEquals(1, got.size());
                assertArrayEquals(sent.get(1), got.get(0));
                assertTrue(port.stats().imissed() >= 1, "the kernel counted the frame too long for a UMEM frame");

                // A 2500-byte chained mbuf cannot be copied into one UMEM frame: taken, freed, counted.
                final int baseline = foreign.inUse();
                final long head = foreign.alloc();
                final long tail = foreign.alloc();
                Mbuf.length(head, 1500);
                Mbuf.length(tail, 1000);
                Mbuf.next(head, tail);
                Mbuf.segments(head, 2);
                Mbuf.packetLength(head, 2500);
                final MbufBurst burst = new MbufBurst(arena, 1);
                burst.mbuf(0, head);
                assertEquals(1, port.transmit(0, burst.address(), 1));
                assertEquals(baseline, foreign.inUse());
                assertEquals(1, port.stats().oerrors());
            }
            port.close();
            assertEquals(0, port.mbufsLeftInUse());
        }
        finally
        {
            sh("ip", "link", "set", PAIRS[1] + "0", "mtu", "1500");
            sh("ip", "netns", "exec", NS, "ip", "link", "set", PAIRS[1] + "1", "mtu", "1500");
        }
    }

    @Test
    void shouldLeaveTheProgramToTheCallerWhenExternal() throws Exception
    {
        final XskConfig external = new XskConfig(PAIRS[0] + "0", 1, 0, XskConfig.Bind.COPY, 512, 2048, 0, 0,
            XskConfig.Program.EXTERNAL, XdpMode.AUTO);
        final XskPort port = open(5, "xa", external);
        try
        {
            assertTrue(port.socketFd(0) > 0);
            assertEquals(0, port.interfaceQueue(0));
            assertEquals(Integer.parseInt(java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", PAIRS[0] + "0",
                "ifindex")).trim()), port.ifindex());
            final Process p = new ProcessBuilder("ip", "link", "show", "dev", PAIRS[0] + "0").redirectErrorStream(true).start();
            final String link = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            assertTrue(!link.contains("xdp"), "no program attached: " + link);
        }
        finally
        {
            port.close();
        }
        assertEquals(0, port.mbufsLeftInUse());
    }

    @Test
    void shouldReceiveThroughFlowgatesProgramWhenExternal() throws Exception
    {
        final String iface = PAIRS[1] + "0";
        final XskConfig external = new XskConfig(iface, 1, 0, XskConfig.Bind.AUTO, 512, 2048, 0, 0, XskConfig.Program.EXTERNAL,
            XdpMode.AUTO);
        try (io.flowgate.xdp.bpf.XdpProgram program = io.flowgate.xdp.bpf.XdpProgram.load(1024))
        {
            final XskPort port = open(6, "xb", external);
            program.attach(port.id(), port.ifindex(), XdpMode.AUTO);
            program.registerSocket(port.ifindex(), port.interfaceQueue(0), port.socketFd(0));
            final List<byte[]> sent = frames(8, 60, 1000);
            send(PAIRS[1] + "1", sent);
            try (Arena arena = Arena.ofConfined())
            {
                final List<byte[]> got = receiveAll(port, 0, arena, sent.size(), 6);
                assertEquals(sent.size(), got.size());
                for (int i = 0; i < sent.size(); i++)
                {
                    assertArrayEquals(sent.get(i), got.get(i));
                }
            }
            program.detach(port.ifindex());
            port.close();
            assertEquals(0, port.mbufsLeftInUse());
        }
    }

    @Test
    void shouldReturnEveryFrameTheKernelHeldOnClose() throws Exception
    {
        final XskPort port = open(4, "xa", config(PAIRS[0] + "0", 1));
        send(PAIRS[0] + "1", frames(10, 60, 60));
        Thread.sleep(200);
        // Nothing received by the application: the frames sit in the fill and rx rings until close.
        assertTrue(port.pool().inUse() >= 512);
        port.close();
        assertEquals(0, port.mbufsLeftInUse());
    }

    // ---- helpers ----

    /** Frames: broadcast dst, fixed src MAC, IPv4/UDP 10.99.0.1 -> 10.99.0.2, source port 40000 + i, dport 9, sizes spread. */
    static List<byte[]> frames(final int count, final int minSize, final int maxSize)
    {
        final List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final int size = count == 1 ? minSize : minSize + (maxSize - minSize) * i / (count - 1);
            final byte[] f = new byte[size];
            for (int k = 0; k < 6; k++)
            {
                f[k] = (byte)0xff;
            }
            final byte[] src = {0x02, 0x78, 0x6b, 0, 0, 1};
            System.arraycopy(src, 0, f, 6, 6);
            f[12] = 0x08;
            f[13] = 0x00;
            f[14] = 0x45;
            final int ipLen = size - 14;
            f[16] = (byte)(ipLen >> 8);
            f[17] = (byte)ipLen;
            f[22] = 64;
            f[23] = 17;
            final byte[] ips = {10, 99, 0, 1, 10, 99, 0, 2};
            System.arraycopy(ips, 0, f, 26, 8);
            final int sport = 40000 + i;
            f[34] = (byte)(sport >> 8);
            f[35] = (byte)sport;
            f[37] = 9;
            final int udpLen = ipLen - 20;
            f[38] = (byte)(udpLen >> 8);
            f[39] = (byte)udpLen;
            for (int k = 42; k < size; k++)
            {
                f[k] = (byte)(k * 7 + i);
            }
            out.add(f);
        }
        return out;
    }

    static boolean isTest(final long mbuf)
    {
        final long d = Mbuf.data(mbuf);
        return Mbuf.dataLength(mbuf) >= 42 && Memory.getShortBE(d + 12) == 0x0800 && Memory.getIntBE(d + 26) == 0x0a630001;
    }

    static void put(final long mbuf, final byte[] f, final int from, final int len)
    {
        final long d = Mbuf.data(mbuf);
        for (int k = 0; k < len; k++)
        {
            Memory.putByte(d + k, f[from + k]);
        }
        Mbuf.length(mbuf, len);
    }

    static List<byte[]> receiveAll(final XskPort port, final int queue, final Arena arena, final int expected, final int portId)
    {
        final MbufBurst burst = new MbufBurst(arena, 64);
        final List<byte[]> got = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline && got.size() < expected)
        {
            final int n = port.receive(queue, burst.address(), 64);
            for (int i = 0; i < n; i++)
            {
                final long m = burst.mbuf(i);
                assertEquals(portId, Mbuf.port(m));
                assertEquals(Mbuf.dataLength(m), Mbuf.packetLength(m));
                if (isTest(m))
                {
                    final byte[] b = new byte[Mbuf.dataLength(m)];
                    for (int k = 0; k < b.length; k++)
                    {
                        b[k] = Memory.getByte(Mbuf.data(m) + k);
                    }
                    got.add(b);
                }
                Mbuf.free(m);
            }
        }
        return got;
    }

    static void send(final String iface, final List<byte[]> frames) throws Exception
    {
        final StringBuilder hex = new StringBuilder();
        for (final byte[] f : frames)
        {
            hex.append(HexFormat.of().formatHex(f)).append('\n');
        }
        final String script = "import socket,sys\n"
            + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
            + "s.bind(('" + iface + "',0))\n"
            + "for line in sys.stdin.read().split():\n"
            + "    s.send(bytes.fromhex(line))\n";
        final Process p = new ProcessBuilder("ip", "netns", "exec", NS, PY, "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().write(hex.toString().getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }

    /** Starts capturing test frames on {@code iface} in the namespace; prints "ready" once bound. */
    static Process capture(final String iface, final int count) throws Exception
    {
        final String script = "import socket,sys,time\n"
            + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))\n"
            + "s.bind(('" + iface + "',0))\n"
            + "s.settimeout(0.2)\n"
            + "print('ready',flush=True)\n"
            + "n=0\nend=time.time()+4\n"
            + "while n<" + count + " and time.time()<end:\n"
            + "    try:\n"
            + "        d,a=s.recvfrom(65535)\n"
            + "    except socket.timeout:\n"
            + "        continue\n"
            + "    if a[2]==socket.PACKET_OUTGOING or len(d)<42 or d[12:14]!=b'\\x08\\x00' or d[26:30]!=bytes([10,99,0,1]): continue\n"
            + "    print(d.hex(),flush=True); n+=1\n";
        final Process p = new ProcessBuilder("ip", "netns", "exec", NS, PY, "-c", script).redirectErrorStream(true).start();
        final StringBuilder line = new StringBuilder();
        int c;
        while ((c = p.getInputStream().read()) != -1 && c != '\n')
        {
            line.append((char)c);
        }
        assertEquals("ready", line.toString());
        return p;
    }

    static List<byte[]> captured(final Process p) throws Exception
    {
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        final List<byte[]> frames = new ArrayList<>();
        for (final String line : out.split("\n"))
        {
            if (!line.isBlank())
            {
                frames.add(HexFormat.of().parseHex(line.trim()));
            }
        }
        return frames;
    }

    static void sh(final String... cmd) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    static void run(final String... cmd) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
    }
}
