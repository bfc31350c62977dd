package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.dispatch.SoftwareDispatcher;
import io.flowgate.pipeline.dispatch.SymmetricFlowHash;
import io.flowgate.pipeline.dispatch.TxBurst;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router with software dispatch on the real EAL. Host a's flows enter through loopback ring port
 * {@code inA}, host b's replies through {@code inB}; the router sends towards b out of {@code outB} and
 * towards a out of {@code outA} (rings the dispatcher does not poll, read back by the test, or null ports).
 * <pre>
 *   inA (ring) --\                            /--> outB (10.2.0.0/24, host b at MAC_B)
 *                 dispatcher -> worker 0..n-1
 *   inB (ring) --/          \&lt;- tx rings &lt;-/  \--> outA (10.1.0.0/24, hosts a+i at MAC_A)
 * </pre>
 */
class RouterSoftwareDispatchTest
{
    private static final int HOST_A = 0x0A010002;      // 10.1.0.2 (+ flow)
    private static final int HOST_B = 0x0A020002;      // 10.2.0.2
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_OUT_A = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT_B = 0x02_00_00_00_02_02L;
    private static final int FLOWS = 64;
    private static final int BURST = 32;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("swd-test", 8191, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    /** The four ports, their routes and neighbours; closes them all. */
    private static final class Bed implements AutoCloseable
    {
        final DpdkPort inA;
        final DpdkPort inB;
        final DpdkPort outA;
        final DpdkPort outB;
        final RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
        final NeighbourTable neighbours = new NeighbourTable(256, 1);
        final RouterPort[] ports;
        final IntHashSet local = new IntHashSet();
        final List<Router.StaticNeighbour> staticNeighbours = new ArrayList<>();

        Bed(final String outDriver, final String outArgs)
        {
            inA = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
            inB = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
            outA = DpdkPort.open(TestEal.newPort(outDriver, outArgs), PortConfig.DEFAULT, pool);
            outB = DpdkPort.open(TestEal.newPort(outDriver, outArgs), PortConfig.DEFAULT, pool);
            routes.addConnected("10.1.0.0/24", outA.id());
            routes.addConnected("10.2.0.0/24", outB.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            staticNeighbours.add(new Router.StaticNeighbour(outB.id(), HOST_B, MAC_B));
            for (int flow = 0; flow < FLOWS; flow++)
            {
                staticNeighbours.add(new Router.StaticNeighbour(outA.id(), HOST_A + flow, MAC_A));
            }
            for (final Router.StaticNeighbour n : staticNeighbours)
            {
                assertTrue(resolver.addPermanent(n.portId(), n.address(), n.mac(), 0));
            }
            ports = new RouterPort[] {
                new RouterPort(inA, 0x02_00_00_00_03_03L, 1500, new PortAddresses(inA.id(), 0x02_00_00_00_03_03L, 1)),
                new RouterPort(inB, 0x02_00_00_00_04_04L, 1500, new PortAddresses(inB.id(), 0x02_00_00_00_04_04L, 1)),
                new RouterPort(outA, MAC_OUT_A, 1500, new PortAddresses(outA.id(), MAC_OUT_A, 1).addIpv4(0x0A010001)),
                new RouterPort(outB, MAC_OUT_B, 1500, new PortAddresses(outB.id(), MAC_OUT_B, 1).addIpv4(0x0A020001))};
            local.add(0x0A010001);
            local.add(0x0A020001);
        }

        @Override
        public void close()
        {
            routes.close();
            neighbours.close();
            DpdkPort.closeAll(List.of(inA, inB, outA, outB));
        }
    }

    @Test
    void shouldSendBothDirectionsOfEveryFlowThroughOneWorkerAndRewriteEveryPacket()
    {
        final int baseline = pool.inUse();
        final int workers = 2;
        try (Arena arena = Arena.ofConfined(); Bed bed = new Bed("net_ring", ""))
        {
            final UdpFlowGenerator forward = new UdpFlowGenerator(new UdpFlowGenerator.Config(FLOWS, 64, MAC_A, 0x02_00_00_00_03_03L,
                HOST_A, HOST_B, 1024, 80));
            // Expected owner of each flow, from the forward packet's hash; the reply must hash alike.
            final long[] expected = new long[workers];
            final MbufBurst there = inject(arena, bed.inA, FLOWS, (m, flow) -> forward.write(Mbuf.data(m), flow));
            final MbufBurst back = inject(arena, bed.inB, FLOWS, (m, flow) -> reverse(forward, flow).write(Mbuf.data(m), 0));
            for (int flow = 0; flow < FLOWS; flow++)
            {
                final int h = SymmetricFlowHash.ipv4(Mbuf.data(there.mbuf(flow)) + EthernetFlyweight.HEADER_LENGTH, 50);
                final int r = SymmetricFlowHash.ipv4(Mbuf.data(back.mbuf(flow)) + EthernetFlyweight.HEADER_LENGTH, 50);
                assertEquals(h, r, "flow " + flow + " hashes alike both ways");
                expected[SoftwareDispatcher.workerOf(h, workers)] += 2;
            }
            assertEquals(FLOWS, there.transmitOrFree(bed.inA, 0));
            assertEquals(FLOWS, back.transmitOrFree(bed.inB, 0));

            final Rig rig = new Rig(arena, bed, workers, 8);
            for (int round = 0; round < 8; round++)
            {
                rig.step();
            }
            for (int w = 0; w < workers; w++)
            {
                assertNotEquals(0, expected[w], "64 flows use both workers");
                assertEquals(expected[w], rig.dispatcher.dispatched(w), "dispatched to worker " + w);
                assertEquals(expected[w], rig.workers[w].counter(RouterWorker.RX), "worker " + w + " received");
                assertEquals(expected[w], rig.workers[w].counter(RouterWorker.TX), "worker " + w + " routed all it received");
                assertEquals(0, rig.dispatcher.dropped(w));
            }
            assertEquals(2 * FLOWS, rig.dispatcher.counter(SoftwareDispatcher.RX));
            assertEquals(2 * FLOWS, rig.dispatcher.counter(SoftwareDispatcher.TX));
            assertEquals(FLOWS, drainAndCheck(arena, bed.outB, MAC_B, MAC_OUT_B), "host b got every request");
            assertEquals(FLOWS, drainAndCheck(arena, bed.outA, MAC_A, MAC_OUT_A), "host a got every reply");
            rig.close();
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    @Test
    void shouldDropAndCountWhatAFullWorkerRingCannotTake()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined(); Bed bed = new Bed("net_null", "no-rx=1"))
        {
            final UdpFlowGenerator gen = new UdpFlowGenerator(new UdpFlowGenerator.Config(1, 64, MAC_A, 0x02_00_00_00_03_03L,
                HOST_A, HOST_B, 1024, 80));
            final Rig rig = new Rig(arena, bed, 1, 2);
            for (int round = 0; round < 4; round++)
            {
                final MbufBurst b = inject(arena, bed.inA, BURST, (m, i) -> gen.write(Mbuf.data(m), 0));
                assertEquals(BURST, b.transmitOrFree(bed.inA, 0));
                rig.dispatcher.doWork(); // the worker does not run: its ring fills up
            }
            assertEquals(2 * BURST, rig.dispatcher.dispatched(0), "two bursts fit the ring");
            assertEquals(2 * BURST, rig.dispatcher.dropped(0), "the rest is freed and counted");
            assertEquals(2 * BURST, rig.dispatcher.dropped());
            assertTrue(rig.inputs[0].noEmptyBurstEvents() > 0, "the ring's full events are counted");
            for (int round = 0; round < 4; round++)
            {
                rig.step();
            }
            assertEquals(2 * BURST, rig.workers[0].counter(RouterWorker.TX));
            assertEquals(2 * BURST, bed.outB.stats().opackets(), "what the ring took left");
            assertTrue(rig.inputs[0].emptyPolls() > 0, "the ring's empty events are counted");
            rig.close();
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    @Test
    void shouldRouteOnItsOwnThreadsAndLeakNothingWhenStoppedUnderTraffic() throws InterruptedException
    {
        final int baseline = pool.inUse();
        final int cpus = Runtime.getRuntime().availableProcessors();
        try (Arena arena = Arena.ofConfined(); Bed bed = new Bed("net_null", "no-rx=1"))
        {
            final UdpFlowGenerator forward = new UdpFlowGenerator(new UdpFlowGenerator.Config(FLOWS, 64, MAC_A, 0x02_00_00_00_03_03L,
                HOST_A, HOST_B, 1024, 80));
            final Router router = Router.start(TestEal.get(), bed.ports, bed.routes, pool, new int[] {cpus - 1, cpus - 1}, 0, 0, BURST,
                1024, bed.staticNeighbours, List.of(), Router.Instruments.NONE);
            try
            {
                routeUnderTraffic(arena, bed, router, forward);
            }
            finally
            {
                router.close(); // also when an assertion failed: its threads must not outlive the ports they poll
            }
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    private static io.flowgate.pipeline.rules.model.Ruleset dropFromA(final int extraRules)
    {
        final io.flowgate.pipeline.rules.model.Origin o = new io.flowgate.pipeline.rules.model.Origin("fw.nft", 1, 1);
        final List<io.flowgate.pipeline.rules.model.Rule> rules = new ArrayList<>();
        for (int i = 0; i < extraRules; i++)
        {
            rules.add(new io.flowgate.pipeline.rules.model.Rule(List.of(io.flowgate.pipeline.rules.model.Match.of(
                io.flowgate.pipeline.rules.model.Field.UDP_DPORT, io.flowgate.pipeline.rules.model.Match.Op.EQ, -1,
                List.of(io.flowgate.pipeline.rules.model.Interval.of(10_000 + i)), o), new io.flowgate.pipeline.rules.model.Expr.Counter(0, 0, o)),
                o, null));
        }
        rules.add(new io.flowgate.pipeline.rules.model.Rule(List.of(io.flowgate.pipeline.rules.model.Match.of(
            io.flowgate.pipeline.rules.model.Field.IP_SADDR, io.flowgate.pipeline.rules.model.Match.Op.EQ, -1,
            List.of(io.flowgate.pipeline.rules.model.Interval.of(0x0A010000L, 0x0A0100FFL)), o),
            new io.flowgate.pipeline.rules.model.Expr.Counter(0, 0, o),
            new io.flowgate.pipeline.rules.model.Expr.Verdict(io.flowgate.pipeline.rules.model.Expr.VerdictKind.DROP, null, o)), o, null));
        return new io.flowgate.pipeline.rules.model.Ruleset("fw.nft", List.of(new io.flowgate.pipeline.rules.model.Table(
            io.flowgate.pipeline.rules.model.Family.IP, "t", List.of(), List.of(new io.flowgate.pipeline.rules.model.Chain("fwd",
                new io.flowgate.pipeline.rules.model.BaseChain(io.flowgate.pipeline.rules.model.ChainType.FILTER, io.flowgate.pipeline.hook.Hook.FORWARD, 0,
                    false), rules, o)), o)));
    }

    @Test
    void shouldRunAndReloadARulesetWhileTheWorkersRun() throws Exception
    {
        final int baseline = pool.inUse();
        final int cpus = Runtime.getRuntime().availableProcessors();
        try (Arena arena = Arena.ofConfined(); Bed bed = new Bed("net_null", "no-rx=1"))
        {
            final UdpFlowGenerator forward = new UdpFlowGenerator(new UdpFlowGenerator.Config(FLOWS, 64, MAC_A, 0x02_00_00_00_03_03L,
                HOST_A, HOST_B, 1024, 80));
            final Router router = Router.start(TestEal.get(), bed.ports, bed.routes, pool, new int[] {cpus - 1, cpus - 1}, 0, 0, BURST,
                1024, bed.staticNeighbours, List.of(), Router.Instruments.NONE, null, null, dropFromA(0));
            try
            {
                long injected = 0;
                for (int round = 0; round < 10; round++)
                {
                    final MbufBurst b = inject(arena, bed.inA, FLOWS, (m, flow) -> forward.write(Mbuf.data(m), flow));
                    injected += b.transmitOrFree(bed.inA, 0);
                    router.rules().load(dropFromA(round % 3)); // returns once both workers run it
                }
                final long deadline = System.nanoTime() + 10_000_000_000L;
                final long[] counted = new long[2];
                while (System.nanoTime() < deadline)
                {
                    final var t = router.rules().ruleset().tables().get(0);
                    router.rules().counters().read(t, t.chain("fwd"), t.chain("fwd").rules().size() - 1, counted);
                    if (counted[0] == injected)
                    {
                        break;
                    }
                    Thread.sleep(10);
                }
                assertEquals(injected, counted[0], "every packet from a dropped and counted once, across 10 reloads");
                assertEquals(1, bed.outB.stats().opackets(), "only the start-up announcement left towards b");
                assertEquals(11, router.rules().version());
                assertEquals(0, router.rules().epochTimeouts());
                assertTrue(router.rules().rulesEvaluated() >= injected);
            }
            finally
            {
                router.close();
            }
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    private static void routeUnderTraffic(final Arena arena, final Bed bed, final Router router, final UdpFlowGenerator forward)
        throws InterruptedException
    {
        long injected = 0;
        for (int round = 0; round < 20; round++)
        {
            final MbufBurst b = inject(arena, bed.inA, FLOWS, (m, flow) -> forward.write(Mbuf.data(m), flow));
            injected += b.transmitOrFree(bed.inA, 0);
            final MbufBurst r = inject(arena, bed.inB, FLOWS, (m, flow) -> reverse(forward, flow).write(Mbuf.data(m), 0));
            injected += r.transmitOrFree(bed.inB, 0);
        }
        // Besides the routed packets, the router's start-up announcements (a gratuitous ARP per address) leave.
        final long announced = router.slowPathCounter(SlowPath.ANNOUNCEMENTS);
        assertEquals(2, announced);
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (router.transmitted() < injected + announced && System.nanoTime() < deadline)
        {
            Thread.sleep(10);
        }
        final String counters = "rx=" + router.received() + " tx=" + router.transmitted() + " to_slow_path="
            + router.workerTotal(RouterWorker.TO_SLOW_PATH) + " slow_path_tx=" + router.slowPathCounter(SlowPath.RESOLVED_SENT)
            + " icmp_errors=" + router.slowPathCounter(SlowPath.ICMP_ERRORS) + " arp_requests=" + router.slowPathCounter(SlowPath.SOLICITATIONS)
            + " inA_tx=" + bed.inA.stats().opackets() + " inB_tx=" + bed.inB.stats().opackets();
        assertEquals(injected, router.received(), counters);
        assertEquals(injected + announced, router.transmitted(), "every packet routed: " + counters);
        assertEquals(injected, router.dispatcher().dispatched(0) + router.dispatcher().dispatched(1));
        // What entered by inA (from host a) leaves by outB, and the other way round; the rings may have taken
        // different numbers when the router fell behind.
        assertEquals(bed.inA.stats().opackets() + 1, bed.outB.stats().opackets(), "host a's packets and outB's announcement: " + counters);
        assertEquals(bed.inB.stats().opackets() + 1, bed.outA.stats().opackets(), "host b's packets and outA's announcement: " + counters);
        for (int round = 0; round < 20; round++)
        {
            // Still arriving while the router stops: each packet is sent, freed, or left in the port's queue.
            final MbufBurst b = inject(arena, bed.inA, FLOWS, (m, flow) -> forward.write(Mbuf.data(m), flow));
            b.transmitOrFree(bed.inA, 0);
        }
    }

    @Test
    void shouldLetAWorkerTransmitOnItsOwnQueueWhenThePortsHaveOne()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined(); Bed bed = new Bed("net_ring", ""))
        {
            final UdpFlowGenerator forward = new UdpFlowGenerator(new UdpFlowGenerator.Config(FLOWS, 64, MAC_A, 0x02_00_00_00_03_03L,
                HOST_A, HOST_B, 1024, 80));
            final MbufBurst there = inject(arena, bed.inA, FLOWS, (m, flow) -> forward.write(Mbuf.data(m), flow));
            assertEquals(FLOWS, there.transmitOrFree(bed.inA, 0));
            final Rig rig = new Rig(arena, bed, 1, 8, false);
            for (int round = 0; round < 4; round++)
            {
                rig.step();
            }
            assertEquals(FLOWS, rig.workers[0].counter(RouterWorker.TX));
            assertEquals(0, rig.dispatcher.counter(SoftwareDispatcher.TX), "the dispatcher transmitted nothing");
            assertEquals(FLOWS, drainAndCheck(arena, bed.outB, MAC_B, MAC_OUT_B));
            rig.close();
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    @Test
    void shouldOpenATransmitQueuePerWorkerOnlyWhereEveryPortHasSeveral()
    {
        assertEquals(1, Router.softwareDispatchTxQueues(new int[] {1, 16}, 2), "one single-queue port: the dispatcher transmits");
        assertEquals(1, Router.softwareDispatchTxQueues(new int[] {1, 1}, 1), "af_packet with one worker: still the dispatcher");
        assertEquals(2, Router.softwareDispatchTxQueues(new int[] {16, 16}, 1));
        assertEquals(4, Router.softwareDispatchTxQueues(new int[] {4, 8}, 4));
        assertEquals(1, Router.softwareDispatchTxQueues(new int[] {3, 8}, 4));
    }

    /** A dispatcher and workers driven step by step on the test thread. */
    private static final class Rig
    {
        final SoftwareDispatcher dispatcher;
        final RouterWorker[] workers;
        final BurstRing<MbufBurst>[] inputs;
        final BurstRing<TxBurst>[] txRings;
        final BurstRing<SlowPathBurst>[] slow;

        @SuppressWarnings("unchecked")
        Rig(final Arena arena, final Bed bed, final int workerCount, final int ringBursts)
        {
            this(arena, bed, workerCount, ringBursts, true);
        }

        /** {@code handBack} false: each worker transmits on its own queue (its index), the dispatcher only receives. */
        @SuppressWarnings("unchecked")
        Rig(final Arena arena, final Bed bed, final int workerCount, final int ringBursts, final boolean handBack)
        {
            inputs = new BurstRing[workerCount];
            txRings = new BurstRing[workerCount];
            slow = new BurstRing[workerCount];
            workers = new RouterWorker[workerCount];
            for (int w = 0; w < workerCount; w++)
            {
                inputs[w] = BurstRing.ofMbufBursts(arena, ringBursts, BURST);
                txRings[w] = handBack ? new BurstRing<>(8, () -> new TxBurst(arena, BURST)) : null;
                slow[w] = new BurstRing<>(4, () -> new SlowPathBurst(arena, BURST));
                workers[w] = new RouterWorker("test-" + w, w, bed.ports, bed.local, bed.routes.ipv4(), null, null, bed.routes.nextHops(),
                    bed.neighbours, new HookChain(BURST), slow[w], null, BURST, inputs[w], txRings[w]);
            }
            final Port[] rx = {bed.inA, bed.inB};
            final Port[] tx = {bed.inA, bed.inB, bed.outA, bed.outB};
            dispatcher = new SoftwareDispatcher(rx, 0, inputs, tx, handBack ? txRings : null, BURST);
        }

        void step()
        {
            dispatcher.doWork();
            for (final RouterWorker w : workers)
            {
                w.doWork();
            }
            dispatcher.doWork();
        }

        /** The router's shutdown order: receiving stops, workers drain and stop, the dispatcher transmits the rest. */
        void close()
        {
            dispatcher.stopReceiving();
            dispatcher.doWork();
            assertTrue(dispatcher.receiveStopped());
            for (final RouterWorker w : workers)
            {
                while (w.doWork() > 0)
                {
                    // drain the ring
                }
                w.onClose();
            }
            for (final BurstRing<SlowPathBurst> s : slow)
            {
                SlowPathBurst b;
                while ((b = s.poll()) != null)
                {
                    b.mbufs.free();
                    s.release(b);
                }
            }
            dispatcher.onClose();
        }
    }

    /** Checks every packet waiting on ring port {@code port}: MACs rewritten, TTL 63, checksum valid; frees them. */
    private static int drainAndCheck(final Arena arena, final Port port, final long dstMac, final long srcMac)
    {
        final MbufBurst rx = new MbufBurst(arena, 256);
        int seen = 0;
        int n;
        while ((n = rx.receive(port, 0)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                final long frame = Mbuf.data(rx.mbuf(i));
                assertEquals(dstMac, EthernetFlyweight.getDstMac(frame));
                assertEquals(srcMac, EthernetFlyweight.getSrcMac(frame));
                final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
                assertEquals(63, Memory.getUnsignedByte(ip + Ipv4Flyweight.TTL_OFFSET));
                assertEquals(0, Checksum.checksum(ip, 20), "header checksum still valid");
            }
            seen += n;
            rx.free();
        }
        return seen;
    }

    private interface Writer
    {
        int write(long mbuf, int index);
    }

    private static MbufBurst inject(final Arena arena, final Port port, final int count, final Writer writer)
    {
        final MbufBurst tx = new MbufBurst(arena, count);
        assertTrue(pool.allocBulk(tx.address(), count));
        for (int i = 0; i < count; i++)
        {
            Mbuf.length(tx.mbuf(i), writer.write(tx.mbuf(i), i));
        }
        tx.count(count);
        return tx;
    }


    private static UdpFlowGenerator reverse(final UdpFlowGenerator forward, final int flow)
    {
        final UdpFlowGenerator.Config c = forward.config();
        return new UdpFlowGenerator(new UdpFlowGenerator.Config(1, c.frameSize(), MAC_B, 0x02_00_00_00_04_04L, c.dstIp(),
            forward.srcIp(flow), c.dstPort(), forward.srcPort(flow)));
    }
}
