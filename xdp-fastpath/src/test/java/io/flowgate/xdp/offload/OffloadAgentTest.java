package io.flowgate.xdp.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.SpscSlotRing;
import io.flowgate.nativebindings.bpf.LibBpf;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.offload.OffloadCookie;
import io.flowgate.pipeline.offload.OffloadFold;
import io.flowgate.pipeline.offload.OffloadRequest;
import io.flowgate.pipeline.offload.WorkerOffload;
import io.flowgate.xdp.bpf.FlowRecord;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.bpf.XdpProgram;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent against the real {@code fg_flows} map: requests become entries, BPF_PROG_TEST_RUN hits them (the test
 * run's ingress is the loopback device, so port 0 maps to ifindex 1), and the agent's folds, removals, sync and switch
 * reach the worker's ring. The redirect target is one side of a veth pair ("xo" prefix) with the program attached.
 */
class OffloadAgentTest
{
    private static final String VETH = "xo0a";
    private static final String PEER = "xo0b";
    private static final int EGRESS_PORT = 1;
    private static final int HOST_A = 0x0A010002;
    private static final int HOST_B = 0x0A020002;
    private static final int NAT = 0xC0000201;          // 192.0.2.1
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;

    private Arena arena;
    private XdpProgram program;
    private Conntrack conntrack;
    private WorkerOffload worker;
    private OffloadAgent agent;

    private static void ip(final String... args) throws IOException, InterruptedException
    {
        final String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    @BeforeEach
    void setUp() throws Exception
    {
        if (Files.exists(Path.of("/sys/class/net", VETH)))
        {
            ip("link", "del", VETH);
        }
        ip("link", "add", VETH, "type", "veth", "peer", "name", PEER);
        ip("link", "set", VETH, "up");
        ip("link", "set", PEER, "up");
        final int ifindex = Integer.parseInt(Files.readString(Path.of("/sys/class/net", VETH, "ifindex")).trim());
        arena = Arena.ofShared();
        program = XdpProgram.load(16);
        program.attach(EGRESS_PORT, ifindex, XdpMode.AUTO);
        final ConntrackTable.Memory memory = new ConntrackTable.Memory()
        {
            @Override
            public long allocate(final long bytes)
            {
                return arena.allocate(bytes, 64).fill((byte)0).address();
            }

            @Override
            public void free(final long address, final long bytes)
            {
            }
        };
        conntrack = new Conntrack(5, ConntrackConfig.defaults(1024), memory, null, null, 32, 2, 1);
        worker = new WorkerOffload(arena, 5, conntrack, new CtClock(), 16, 64);
        final int[] ifindexByPort = new int[4];
        ifindexByPort[0] = 1; // the test run's ingress: lo
        ifindexByPort[EGRESS_PORT] = ifindex;
        agent = OffloadAgent.create(new WorkerOffload[] {worker}, program, ifindexByPort, new OffloadConfig(1_000_000_000L, 1_000_000L));
    }

    @AfterEach
    void tearDown() throws Exception
    {
        agent.close();
        program.close();
        arena.close();
        ip("link", "del", VETH);
    }

    private void request(final long cookie, final int sport)
    {
        final SpscSlotRing ring = worker.requests();
        final long slot = ring.claim();
        assertTrue(slot != 0);
        OffHeap.fill(slot, OffloadRequest.SIZE, (byte)0);
        OffHeap.putInt(slot + OffloadRequest.TYPE_OFFSET, OffloadRequest.INSERT);
        OffHeap.putInt(slot + OffloadRequest.INGRESS_OFFSET, 0);
        OffHeap.putLong(slot + OffloadRequest.COOKIE_OFFSET, cookie);
        OffHeap.putInt(slot + OffloadRequest.EGRESS_OFFSET, EGRESS_PORT);
        OffHeap.putInt(slot + OffloadRequest.MTU_OFFSET, 1500);
        OffHeap.putByte(slot + OffloadRequest.FAMILY_OFFSET, 4);
        OffHeap.putByte(slot + OffloadRequest.PROTOCOL_OFFSET, 6);
        OffHeap.putByte(slot + OffloadRequest.FLAGS_OFFSET, OffloadRequest.SNAT);
        OffHeap.putShort(slot + OffloadRequest.SRC_PORT_OFFSET, sport);
        OffHeap.putShort(slot + OffloadRequest.DST_PORT_OFFSET, 80);
        OffHeap.putLong(slot + OffloadRequest.SRC_LO_OFFSET, HOST_A & 0xFFFF_FFFFL);
        OffHeap.putLong(slot + OffloadRequest.DST_LO_OFFSET, HOST_B & 0xFFFF_FFFFL);
        OffHeap.putLong(slot + OffloadRequest.NEW_SRC_LO_OFFSET, NAT & 0xFFFF_FFFFL);
        OffHeap.putLong(slot + OffloadRequest.NEW_DST_LO_OFFSET, HOST_B & 0xFFFF_FFFFL);
        OffHeap.putShort(slot + OffloadRequest.NEW_SRC_PORT_OFFSET, 1024);
        OffHeap.putShort(slot + OffloadRequest.NEW_DST_PORT_OFFSET, 80);
        OffHeap.putLong(slot + OffloadRequest.DST_MAC_OFFSET, MAC_B);
        OffHeap.putLong(slot + OffloadRequest.SRC_MAC_OFFSET, MAC_OUT);
        ring.commit();
    }

    private void removal(final long cookie)
    {
        final SpscSlotRing ring = worker.requests();
        final long slot = ring.claim();
        OffHeap.putInt(slot + OffloadRequest.TYPE_OFFSET, OffloadRequest.REMOVE);
        OffHeap.putLong(slot + OffloadRequest.COOKIE_OFFSET, cookie);
        ring.commit();
    }

    private static FlowRecord key(final int sport)
    {
        final FlowRecord f = new FlowRecord();
        f.ifindex = 1;
        f.family = 4;
        f.protocol = 6;
        f.srcLo = HOST_A & 0xFFFF_FFFFL;
        f.dstLo = HOST_B & 0xFFFF_FFFFL;
        f.srcPort = sport;
        f.dstPort = 80;
        return f;
    }

    /** An ACK of A:sport -> B:80 (54 bytes: Ethernet, IPv4 without options, TCP without options) through fg_fastpath. */
    private int testRun(final int sport, final byte[] out)
    {
        final byte[] frame = new byte[54];
        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[17] = 40;
        frame[22] = 64;
        frame[23] = 6;
        putInt(frame, 26, HOST_A);
        putInt(frame, 30, HOST_B);
        int sum = 0;
        for (int k = 14; k < 34; k += 2)
        {
            sum += ((frame[k] & 0xFF) << 8) | (frame[k + 1] & 0xFF);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = ~((sum & 0xFFFF) + (sum >>> 16)) & 0xFFFF;
        frame[24] = (byte)(sum >>> 8);
        frame[25] = (byte)sum;
        frame[34] = (byte)(sport >>> 8);
        frame[35] = (byte)sport;
        frame[37] = 80;
        frame[46] = 0x50;
        frame[47] = 0x10; // ACK
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment data = a.allocate(frame.length);
            MemorySegment.copy(frame, 0, data, ValueLayout.JAVA_BYTE, 0, frame.length);
            final MemorySegment result = a.allocate(256);
            final int[] length = new int[1];
            final int rc = LibBpf.testRun(program.programFd(true), data, result, length);
            MemorySegment.copy(result, ValueLayout.JAVA_BYTE, 0, out, 0, Math.min(out.length, length[0]));
            return rc;
        }
    }

    private static void putInt(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 24);
        b[at + 1] = (byte)(v >>> 16);
        b[at + 2] = (byte)(v >>> 8);
        b[at + 3] = (byte)v;
    }

    private record Fold(long cookie, long packets, long bytes, long lastSeenNs)
    {
    }

    private Fold nextFold()
    {
        final SpscSlotRing ring = worker.folds();
        final long slot = ring.peek();
        if (slot == 0)
        {
            return null;
        }
        final Fold f = new Fold(OffHeap.getLong(slot + OffloadFold.COOKIE_OFFSET), OffHeap.getLong(slot + OffloadFold.PACKETS_OFFSET),
            OffHeap.getLong(slot + OffloadFold.BYTES_OFFSET), OffHeap.getLong(slot + OffloadFold.LAST_SEEN_OFFSET));
        ring.release();
        return f;
    }

    @Test
    void shouldInsertFoldAndRemoveWithFinalCounters()
    {
        agent.enabled(true);
        assertTrue(program.fastPath());
        assertTrue(worker.enabled());
        final long cookie = OffloadCookie.of(5, 7, 0, 42);
        request(cookie, 40000);
        long now = System.nanoTime();
        agent.doWork(now);
        assertEquals(1, agent.counter(OffloadAgent.OFFLOADED));
        final FlowRecord entry = key(40000);
        assertTrue(program.flows().lookup(entry), "in the map");
        assertEquals(cookie, entry.cookie);
        assertEquals(EGRESS_PORT, entry.egress);
        assertEquals(OffloadRequest.SNAT, entry.flags);
        assertEquals(NAT & 0xFFFF_FFFFL, entry.newSrcLo);
        assertEquals(1024, entry.newSrcPort);
        assertEquals(MAC_B, entry.dstMac);
        assertEquals(MAC_OUT, entry.srcMac);
        assertEquals(null, nextFold(), "the first fold found nothing counted");

        final byte[] out = new byte[54];
        final long before = System.nanoTime();
        assertEquals(4, testRun(40000, out), "XDP_REDIRECT");
        assertEquals((byte)0xC0, out[26], "source rewritten to 192.0.2.1");
        assertEquals(4, out[34], "source port 1024 (0x0400)");
        testRun(40000, out);
        now += 2_000_000_000L;
        agent.doWork(now);
        final Fold fold = nextFold();
        assertEquals(cookie, fold.cookie());
        assertEquals(2, fold.packets());
        assertEquals(80, fold.bytes(), "IP bytes");
        assertTrue(fold.lastSeenNs() >= before && fold.lastSeenNs() <= System.nanoTime(), "CLOCK_MONOTONIC = System.nanoTime()");
        agent.doWork(now + 2_000_000_000L);
        assertEquals(null, nextFold(), "nothing new, nothing sent");

        testRun(40000, out);
        removal(cookie);
        agent.doWork(now + 10);
        final Fold last = nextFold();
        assertEquals(new Fold(cookie, 1, 40, last.lastSeenNs()), last, "the removal's final fold carries the delta");
        assertFalse(program.flows().lookup(key(40000)), "removed");
        assertEquals(1, agent.counter(OffloadAgent.REMOVED));
        assertEquals(0, agent.offloadedNow());
    }

    @Test
    void shouldRefuseWhenThePortHasNoProgramAndWhenDisabled()
    {
        request(OffloadCookie.of(5, 1, 0, 1), 40001);
        agent.doWork(System.nanoTime());
        assertFalse(program.flows().lookup(key(40001)), "disabled: inserts dropped");
        agent.enabled(true);
        final SpscSlotRing ring = worker.requests();
        final long slot = ring.claim();
        OffHeap.fill(slot, OffloadRequest.SIZE, (byte)0);
        OffHeap.putInt(slot + OffloadRequest.TYPE_OFFSET, OffloadRequest.INSERT);
        OffHeap.putInt(slot + OffloadRequest.INGRESS_OFFSET, 3); // no ifindex
        OffHeap.putLong(slot + OffloadRequest.COOKIE_OFFSET, 99);
        ring.commit();
        agent.doWork(System.nanoTime());
        assertEquals(1, agent.counter(OffloadAgent.NO_PORT));
        assertEquals(new Fold(99, 0, 0, OffloadFold.REFUSED), nextFold());
    }

    @Test
    void shouldFoldClearAndTellWorkersWhenSwitchedOff()
    {
        agent.enabled(true);
        final long cookie = OffloadCookie.of(5, 1, 1, 3);
        request(cookie, 40002);
        agent.doWork(System.nanoTime());
        testRun(40002, new byte[54]);
        agent.enabled(false);
        assertFalse(program.fastPath());
        assertFalse(worker.enabled());
        assertEquals(cookie, nextFold().cookie(), "final fold");
        assertEquals(OffloadFold.CLEAR, nextFold().cookie());
        assertEquals(0, program.flows().forEach(f -> { }), "map emptied");
        assertEquals(0, agent.offloadedNow());
    }

    @Test
    void shouldReturnFromSyncNowOnceTheWorkerAppliedTheFolds() throws Exception
    {
        agent.enabled(true);
        request(OffloadCookie.of(5, 1, 0, 4), 40003);
        agent.doWork(System.nanoTime());
        testRun(40003, new byte[54]);
        final Thread owner = Thread.ofPlatform().start(() ->
        {
            while (worker.appliedSync() == 0)
            {
                worker.poll(); // the worker's housekeeping
                Thread.onSpinWait();
            }
        });
        assertTrue(agent.syncNow(TimeUnit.SECONDS.toNanos(5)));
        owner.join();
        assertEquals(1, worker.appliedSync());
        assertEquals(1, worker.counter(WorkerOffload.STALE_FOLDS), "the fold reached the worker (no such entry there: stale)");
    }
}
