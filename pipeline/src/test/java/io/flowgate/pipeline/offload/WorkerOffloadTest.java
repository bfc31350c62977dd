package io.flowgate.pipeline.offload;

import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.ACK;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.FIN;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.SpscSlotRing;
import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pipeline.conntrack.diff.PacketBuilder;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.NatPolicy;
import io.flowgate.pipeline.nat.NatRewriter;
import io.flowgate.pipeline.nat.NatRule;
import java.util.ArrayList;
import java.util.List;
import io.flowgate.pipeline.conntrack.CtAccess;
import io.flowgate.pipeline.rules.RuleEngine;
import io.flowgate.pipeline.rules.RuleWorker;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.nft.NftParser;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.router.Router;
import io.flowgate.pipeline.router.RouterPort;
import io.flowgate.pipeline.router.RouterWorker;
import io.flowgate.pipeline.router.SlowPathBurst;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker side of the offload on the real EAL: TCP handshakes through a router worker with conntrack (two loopback
 * ring ports), the requests the worker makes, the folds it applies, the removals it asks for.
 */
class WorkerOffloadTest
{
    private static final String A = "10.1.0.2";
    private static final String B = "10.2.0.2";
    private static final int HOST_A = 0x0A010002;
    private static final int HOST_B = 0x0A020002;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;
    private static final int MTU_OUT = 1400;
    private static final long NET_1 = 0xFD00_0001_0000_0000L;      // fd00:1::/64, on "in"
    private static final long NET_2 = 0xFD00_0002_0000_0000L;      // fd00:2::/64, on "out"
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("offload-test", 4095, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    private static final class Bed implements AutoCloseable
    {
        final Arena arena = Arena.ofConfined();
        final DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
        final DpdkPort out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
        final RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
        final NeighbourTable neighbours = new NeighbourTable(64, 1);
        final CtEventRing events = new CtEventRing(1 << 12);
        final Conntrack conntrack = new Conntrack(3, ConntrackConfig.defaults(4096), new HugePageTableMemory(), events,
            new CtMailbox(), 32, 2, 1);
        final CtClock clock = new CtClock();
        final RouterWorker worker;
        final WorkerOffload offload;
        final MbufBurst scratch = new MbufBurst(arena, 32);
        /** The nft rule engine when the bed was given a ruleset, else null. */
        RuleEngine engine;

        Bed()
        {
            this(false);
        }

        Bed(final boolean masquerade)
        {
            this(masquerade, null);
        }

        /**
         * With {@code masquerade}: SNAT to the out port's address (10.2.0.1) for everything leaving by "out", as the router wires NAT.
         * With {@code nft} (a ruleset in nft syntax, ports named "in" and "out"): the rule engine runs it on the worker.
         */
        Bed(final boolean masquerade, final String nft)
        {
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            routes.addConnected("fd00:1::/64", in.id());
            routes.addConnected("fd00:2::/64", out.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            assertTrue(resolver.addPermanent(out.id(), HOST_B, MAC_B, 0));
            assertTrue(resolver.addPermanent(in.id(), HOST_A, MAC_A, 0));
            assertTrue(resolver.addPermanent6(out.id(), NET_2, 2, MAC_B, System.nanoTime()));
            assertTrue(resolver.addPermanent6(in.id(), NET_1, 2, MAC_A, System.nanoTime()));
            final RouterPort[] ports = {
                new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 2).addIpv4(0x0A010001).addIpv6(NET_1, 1).addLinkLocal()),
                new RouterPort(out, MAC_OUT, MTU_OUT, new PortAddresses(out.id(), MAC_OUT, 2).addIpv4(0x0A020001).addIpv6(NET_2, 1)
                    .addLinkLocal())};
            final IntHashSet local = new IntHashSet();
            local.add(0x0A010001);
            local.add(0x0A020001);
            final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final HookChain chain = new HookChain(32);
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "nf_conntrack_in", new ConntrackHook(conntrack, true, clock, 0, 32));
            if (masquerade)
            {
                final NatBinder binder = new NatBinder(conntrack, 0, 1, 4096, new NatStats(), 42);
                conntrack.binding(binder);
                final NatPolicy policy = new NatPolicy(NatConfig.of(new NatRule(NatRule.Kind.MASQUERADE, null, "out", -1, 0, 0, 0, 0, -1, -1,
                    -1, -1, new NatRange(0, 0, 0, 0, 0), "test:1")).withPortNames(List.of("in", "out")), new int[] {in.id(), out.id()},
                    new int[] {0x0A010001, 0x0A020001});
                chain.register(Hook.PREROUTING, HookPriority.NAT_DST, "dnat", new NatHook(NatRewriter.MANIP_DST, conntrack, binder, policy));
                chain.register(Hook.POSTROUTING, HookPriority.NAT_SRC, "snat", new NatHook(NatRewriter.MANIP_SRC, conntrack, binder, policy));
            }
            final ConfirmHook confirm = new ConfirmHook(conntrack);
            chain.register(Hook.INPUT, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            worker = new RouterWorker("test", 0, ports, local, routes.ipv4(), routes.ipv6(), Router.localIpv6(ports), routes.nextHops(),
                neighbours, chain, slow, null, 32);
            worker.conntrack(conntrack, clock, confirm);
            offload = new WorkerOffload(arena, 3, conntrack, clock, 64, 256);
            offload.enabled(true);
            worker.offload(offload);
            if (nft != null)
            {
                final List<String> names = new ArrayList<>();
                final boolean[] hasIpv4 = new boolean[Math.max(in.id(), out.id()) + 1];
                for (int id = 0; id < hasIpv4.length; id++)
                {
                    names.add(id == in.id() ? "in" : id == out.id() ? "out" : null);
                    hasIpv4[id] = id == in.id() || id == out.id();
                }
                engine = new RuleEngine(names, hasIpv4);
                final RuleWorker rules = engine.attach(chain);
                rules.conntrack(new CtAccess(conntrack.table()));
                worker.rules(rules);
                try
                {
                    engine.load(NftParser.parse("test.nft", nft));
                }
                catch (final RulesetException ex)
                {
                    throw new AssertionError(ex);
                }
            }
        }

        /** One IPv4 packet into {@code port}, one worker cycle, whatever it forwarded received back and freed. */
        void send(final DpdkPort port, final byte[] ip)
        {
            final long m = pool.alloc();
            final long data = Mbuf.data(m);
            final long dstMac = port == in ? MAC_IN : MAC_OUT;
            final long srcMac = port == in ? MAC_A : MAC_B;
            for (int k = 0; k < 6; k++)
            {
                Memory.putByte(data + k, (byte)(dstMac >>> (40 - 8 * k)));
                Memory.putByte(data + 6 + k, (byte)(srcMac >>> (40 - 8 * k)));
            }
            final boolean v6 = (ip[0] & 0xF0) == 0x60;
            Memory.putByte(data + 12, (byte)(v6 ? 0x86 : 0x08));
            Memory.putByte(data + 13, (byte)(v6 ? 0xDD : 0x00));
            for (int k = 0; k < ip.length; k++)
            {
                Memory.putByte(data + 14 + k, ip[k]);
            }
            Mbuf.length(m, 14 + ip.length);
            scratch.mbuf(0, m);
            scratch.count(1);
            assertEquals(1, scratch.transmitOrFree(port, 0));
            worker.doWork();
            drain();
        }

        void drain()
        {
            for (final DpdkPort p : new DpdkPort[] {in, out})
            {
                final int n = scratch.receive(p, 0);
                if (n > 0)
                {
                    scratch.free();
                }
            }
        }

        @Override
        public void close()
        {
            worker.onClose();
            if (engine != null)
            {
                engine.close();
            }
            conntrack.table().close();
            neighbours.close();
            routes.close();
            out.close();
            in.close();
            arena.close();
        }
    }

    /** SYN, SYN-ACK, ACK of A:sport -> B:80; returns the entry's index. */
    private static int handshake(final Bed bed, final int sport)
    {
        bed.send(bed.in, PacketBuilder.tcp(A, B, sport, 80).flags(SYN).seq(1000).build());
        bed.send(bed.out, PacketBuilder.tcp(B, A, 80, sport).flags(SYN | ACK).seq(5000).ack(1001).build());
        bed.send(bed.in, PacketBuilder.tcp(A, B, sport, 80).flags(ACK).seq(1001).ack(5001).build());
        final int ref = bed.conntrack.table().lookup(new io.flowgate.conntrack.CtKey().ipv4(0, 6, HOST_A, HOST_B, sport, 80), bed.clock.nowMs());
        assertTrue(ref >= 0, "entry");
        return ref >>> 1;
    }

    private static void postFold(final Bed bed, final long cookie, final long packets, final long bytes, final long lastSeenNs)
    {
        final SpscSlotRing folds = bed.offload.folds();
        final long slot = folds.claim();
        assertTrue(slot != 0);
        OffHeap.putLong(slot + OffloadFold.COOKIE_OFFSET, cookie);
        OffHeap.putLong(slot + OffloadFold.PACKETS_OFFSET, packets);
        OffHeap.putLong(slot + OffloadFold.BYTES_OFFSET, bytes);
        OffHeap.putLong(slot + OffloadFold.LAST_SEEN_OFFSET, lastSeenNs);
        folds.commit();
    }

    @Test
    void shouldRequestEachDirectionOnlyOnceEstablishedAndAssured()
    {
        try (Bed bed = new Bed())
        {
            final SpscSlotRing requests = bed.offload.requests();
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40000, 80).flags(SYN).seq(1000).build());
            bed.send(bed.out, PacketBuilder.tcp(B, A, 80, 40000).flags(SYN | ACK).seq(5000).ack(1001).build());
            assertEquals(0, requests.peek(), "nothing before ESTABLISHED + ASSURED");
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40000, 80).flags(ACK).seq(1001).ack(5001).build());

            long slot = requests.peek();
            assertTrue(slot != 0, "the handshake's last ACK offloads the original direction");
            final int idx = OffloadCookie.index(OffloadRequest.cookie(slot));
            final long record = bed.conntrack.table().record(idx);
            assertTrue((CtRecord.status(record) & CtStatus.OFFLOAD) != 0, "OFFLOAD set");
            assertEquals(OffloadRequest.INSERT, OffloadRequest.type(slot));
            assertEquals(3, OffloadCookie.worker(OffloadRequest.cookie(slot)));
            assertEquals(0, OffloadCookie.dir(OffloadRequest.cookie(slot)));
            assertEquals(bed.conntrack.table().generation(idx) & 0x7F_FFFF, OffloadCookie.generation(OffloadRequest.cookie(slot)));
            assertEquals(bed.in.id(), OffloadRequest.ingress(slot));
            assertEquals(bed.out.id(), OffloadRequest.egress(slot));
            assertEquals(MTU_OUT, OffloadRequest.mtu(slot));
            assertEquals(4, OffloadRequest.family(slot));
            assertEquals(6, OffloadRequest.protocol(slot));
            assertEquals(0, OffloadRequest.flags(slot), "no NAT");
            assertEquals(HOST_A & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.SRC_LO_OFFSET));
            assertEquals(HOST_B & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.DST_LO_OFFSET));
            assertEquals(HOST_A & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.NEW_SRC_LO_OFFSET));
            assertEquals(HOST_B & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.NEW_DST_LO_OFFSET));
            assertEquals(40000, OffloadRequest.port(slot, OffloadRequest.SRC_PORT_OFFSET));
            assertEquals(80, OffloadRequest.port(slot, OffloadRequest.DST_PORT_OFFSET));
            assertEquals(40000, OffloadRequest.port(slot, OffloadRequest.NEW_SRC_PORT_OFFSET));
            assertEquals(80, OffloadRequest.port(slot, OffloadRequest.NEW_DST_PORT_OFFSET));
            assertEquals(MAC_B, OffHeap.getLong(slot + OffloadRequest.DST_MAC_OFFSET));
            assertEquals(MAC_OUT, OffHeap.getLong(slot + OffloadRequest.SRC_MAC_OFFSET));
            requests.release();

            bed.send(bed.in, PacketBuilder.tcp(A, B, 40000, 80).flags(ACK).seq(1001).ack(5001).payload(10).build());
            assertEquals(0, requests.peek(), "the original direction is asked once");
            bed.send(bed.out, PacketBuilder.tcp(B, A, 80, 40000).flags(ACK).seq(5001).ack(1011).payload(10).build());
            slot = requests.peek();
            assertTrue(slot != 0, "the reply direction on its first packet");
            assertEquals(1, OffloadCookie.dir(OffloadRequest.cookie(slot)));
            assertEquals(idx, OffloadCookie.index(OffloadRequest.cookie(slot)));
            assertEquals(bed.out.id(), OffloadRequest.ingress(slot));
            assertEquals(bed.in.id(), OffloadRequest.egress(slot));
            assertEquals(1500, OffloadRequest.mtu(slot));
            assertEquals(HOST_B & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.SRC_LO_OFFSET));
            assertEquals(80, OffloadRequest.port(slot, OffloadRequest.SRC_PORT_OFFSET));
            assertEquals(MAC_A, OffHeap.getLong(slot + OffloadRequest.DST_MAC_OFFSET));
            assertEquals(MAC_IN, OffHeap.getLong(slot + OffloadRequest.SRC_MAC_OFFSET));
            requests.release();
            assertEquals(2, bed.offload.counter(WorkerOffload.REQUESTED));
        }
    }

    @Test
    void shouldCarryTheMasqueradeRewriteOfEachDirection()
    {
        try (Bed bed = new Bed(true))
        {
            final SpscSlotRing requests = bed.offload.requests();
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40010, 80).flags(SYN).seq(1000).build());
            final int ref = bed.conntrack.table().lookup(new CtKey().ipv4(0, 6, HOST_A, HOST_B, 40010, 80), bed.clock.nowMs());
            assertTrue(ref >= 0);
            final CtKey reply = bed.conntrack.table().tuple(ref >>> 1, 1, new CtKey());
            assertEquals(0x0A020001L, reply.dstLo, "masqueraded to the out port's address");
            final int natPort = reply.dstPort;
            bed.send(bed.out, PacketBuilder.tcp(B, "10.2.0.1", 80, natPort).flags(SYN | ACK).seq(5000).ack(1001).build());
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40010, 80).flags(ACK).seq(1001).ack(5001).build());
            long slot = requests.peek();
            assertTrue(slot != 0, "original direction");
            assertEquals(OffloadRequest.SNAT, OffloadRequest.flags(slot));
            assertEquals(HOST_A & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.SRC_LO_OFFSET));
            assertEquals(40010, OffloadRequest.port(slot, OffloadRequest.SRC_PORT_OFFSET));
            assertEquals(0x0A020001L, OffloadRequest.address(slot, OffloadRequest.NEW_SRC_LO_OFFSET));
            assertEquals(natPort, OffloadRequest.port(slot, OffloadRequest.NEW_SRC_PORT_OFFSET));
            assertEquals(HOST_B & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.NEW_DST_LO_OFFSET));
            assertEquals(80, OffloadRequest.port(slot, OffloadRequest.NEW_DST_PORT_OFFSET));
            requests.release();
            bed.send(bed.out, PacketBuilder.tcp(B, "10.2.0.1", 80, natPort).flags(ACK).seq(5001).ack(1001).payload(10).build());
            slot = requests.peek();
            assertTrue(slot != 0, "reply direction");
            assertEquals(OffloadRequest.DNAT, OffloadRequest.flags(slot));
            assertEquals(HOST_B & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.SRC_LO_OFFSET));
            assertEquals(0x0A020001L, OffloadRequest.address(slot, OffloadRequest.DST_LO_OFFSET));
            assertEquals(natPort, OffloadRequest.port(slot, OffloadRequest.DST_PORT_OFFSET));
            assertEquals(HOST_B & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.NEW_SRC_LO_OFFSET));
            assertEquals(HOST_A & 0xFFFF_FFFFL, OffloadRequest.address(slot, OffloadRequest.NEW_DST_LO_OFFSET));
            assertEquals(40010, OffloadRequest.port(slot, OffloadRequest.NEW_DST_PORT_OFFSET));
            assertEquals(MAC_A, OffHeap.getLong(slot + OffloadRequest.DST_MAC_OFFSET));
            requests.release();
        }
    }

    @Test
    void shouldRequestIpv6FlowsWithTheirAddressHalves()
    {
        try (Bed bed = new Bed())
        {
            final SpscSlotRing requests = bed.offload.requests();
            bed.send(bed.in, PacketBuilder.tcp("fd00:1::2", "fd00:2::2", 40020, 443).flags(SYN).seq(1000).build());
            bed.send(bed.out, PacketBuilder.tcp("fd00:2::2", "fd00:1::2", 443, 40020).flags(SYN | ACK).seq(5000).ack(1001).build());
            assertEquals(0, requests.peek());
            bed.send(bed.in, PacketBuilder.tcp("fd00:1::2", "fd00:2::2", 40020, 443).flags(ACK).seq(1001).ack(5001).build());
            final long slot = requests.peek();
            assertTrue(slot != 0, "IPv6 offloaded (tailOne after the IPv6 stages)");
            assertEquals(6, OffloadRequest.family(slot));
            assertEquals(NET_1, OffloadRequest.address(slot, OffloadRequest.SRC_HI_OFFSET));
            assertEquals(2, OffloadRequest.address(slot, OffloadRequest.SRC_LO_OFFSET));
            assertEquals(NET_2, OffloadRequest.address(slot, OffloadRequest.DST_HI_OFFSET));
            assertEquals(2, OffloadRequest.address(slot, OffloadRequest.DST_LO_OFFSET));
            assertEquals(NET_2, OffloadRequest.address(slot, OffloadRequest.NEW_DST_HI_OFFSET));
            assertEquals(0, OffloadRequest.flags(slot));
            assertEquals(MAC_B, OffHeap.getLong(slot + OffloadRequest.DST_MAC_OFFSET));
            assertEquals(MTU_OUT, OffloadRequest.mtu(slot));
            requests.release();
        }
    }

    @Test
    void shouldCountAFullRequestRingAndAskAgainOnALaterPacket()
    {
        try (Bed bed = new Bed())
        {
            final SpscSlotRing requests = bed.offload.requests();
            int filled = 0;
            for (long slot = requests.claim(); slot != 0; slot = requests.claim())
            {
                OffHeap.putInt(slot + OffloadRequest.TYPE_OFFSET, 0);
                requests.commit(); // the agent is behind
                filled++;
            }
            final int idx = handshake(bed, 40030);
            assertEquals(1, bed.offload.counter(WorkerOffload.REQUEST_RING_FULL));
            assertEquals(0, CtRecord.status(bed.conntrack.table().record(idx)) & CtStatus.OFFLOAD, "not offloaded: no bit");
            for (int k = 0; k < filled; k++)
            {
                requests.peek();
                requests.release();
            }
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40030, 80).flags(ACK).seq(1001).ack(5001).payload(10).build());
            final long slot = requests.peek();
            assertTrue(slot != 0, "asked again");
            assertEquals(OffloadRequest.INSERT, OffloadRequest.type(slot));
            assertEquals(idx, OffloadCookie.index(OffloadRequest.cookie(slot)));
            assertTrue((CtRecord.status(bed.conntrack.table().record(idx)) & CtStatus.OFFLOAD) != 0);
            requests.release();
        }
    }

    @Test
    void shouldNotRequestWhenDisabled()
    {
        try (Bed bed = new Bed())
        {
            bed.offload.enabled(false);
            final int idx = handshake(bed, 40001);
            assertEquals(0, bed.offload.requests().peek());
            assertEquals(0, CtRecord.status(bed.conntrack.table().record(idx)) & CtStatus.OFFLOAD);
        }
    }

    @Test
    void shouldFoldCountersAndRefreshTheDeadlineFromLastSeen()
    {
        try (Bed bed = new Bed())
        {
            final int idx = handshake(bed, 40002);
            final long cookie = OffloadRequest.cookie(bed.offload.requests().peek());
            bed.offload.requests().release();
            final long record = bed.conntrack.table().record(idx);
            final long packetsBefore = CtRecord.packets(record, 0);
            final long bytesBefore = CtRecord.bytes(record, 0);
            CtRecord.expires(record, bed.clock.nowMs() + 5_000); // as if the last Java packet were long ago
            postFold(bed, cookie, 1000, 64_000, System.nanoTime());
            postFold(bed, OffloadFold.SYNC, 7, 0, 0);
            bed.worker.doWork();
            assertEquals(7, bed.offload.appliedSync());
            assertEquals(packetsBefore + 1000, CtRecord.packets(record, 0));
            assertEquals(bytesBefore + 64_000, CtRecord.bytes(record, 0));
            assertEquals(0, CtRecord.packets(record, 1) - 1, "the SYN-ACK only in reply");
            final int remainingMs = CtRecord.expires(record) - bed.clock.nowMs();
            assertTrue(remainingMs > 432_000_000 - 10_000, "ESTABLISHED's 5 days from last seen: " + remainingMs);
            assertEquals(1, bed.offload.counter(WorkerOffload.FOLDS));

            // A last-seen older than the deadline's base never moves it earlier.
            postFold(bed, cookie, 1, 10, System.nanoTime() - 3_600_000_000_000L);
            bed.worker.doWork();
            assertTrue(CtRecord.expires(record) - bed.clock.nowMs() > 432_000_000 - 10_000);
        }
    }

    @Test
    void shouldIgnoreFoldsForARecycledSlotAndAskToRemoveThem()
    {
        try (Bed bed = new Bed())
        {
            final int idx = handshake(bed, 40003);
            final long cookie = OffloadRequest.cookie(bed.offload.requests().peek());
            bed.offload.requests().release();
            final long record = bed.conntrack.table().record(idx);
            final long packets = CtRecord.packets(record, 0);
            final long stale = OffloadCookie.of(3, OffloadCookie.generation(cookie) - 1, 0, idx);
            postFold(bed, stale, 50, 5000, System.nanoTime());
            bed.worker.doWork();
            assertEquals(packets, CtRecord.packets(record, 0), "an older incarnation's counters are not this one's");
            assertEquals(1, bed.offload.counter(WorkerOffload.STALE_FOLDS));
            final long slot = bed.offload.requests().peek();
            assertTrue(slot != 0);
            assertEquals(OffloadRequest.REMOVE, OffloadRequest.type(slot));
            assertEquals(stale, OffloadRequest.cookie(slot));
            bed.offload.requests().release();
        }
    }

    @Test
    void shouldAskForRemovalWhenAFinLeavesEstablishedAndStillTakeTheFinalFold()
    {
        try (Bed bed = new Bed())
        {
            final int idx = handshake(bed, 40004);
            final SpscSlotRing requests = bed.offload.requests();
            final long cookie = OffloadRequest.cookie(requests.peek());
            requests.release();
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40004, 80).flags(FIN | ACK).seq(1001).ack(5001).build());
            final long slot = requests.peek();
            assertTrue(slot != 0, "removal");
            assertEquals(OffloadRequest.REMOVE, OffloadRequest.type(slot));
            assertEquals(cookie, OffloadRequest.cookie(slot));
            requests.release();
            assertEquals(0, requests.peek(), "only the direction that was offloaded");
            final long record = bed.conntrack.table().record(idx);
            assertEquals(0, CtRecord.status(record) & CtStatus.OFFLOAD, "OFFLOAD cleared");
            final long packets = CtRecord.packets(record, 0);
            postFold(bed, cookie, 3, 300, System.nanoTime());
            bed.worker.doWork();
            assertEquals(packets + 3, CtRecord.packets(record, 0), "the removal's final counters still count");
            // FIN_WAIT: no new request for a closing connection.
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40004, 80).flags(ACK).seq(1002).ack(5001).build());
            assertEquals(0, requests.peek());
        }
    }

    @Test
    void shouldPublishTheFinOfAnOffloadedConnectionAsAnUpdate()
    {
        try (Bed bed = new Bed())
        {
            handshake(bed, 40008);
            bed.offload.requests().release();
            bed.events.mask(io.flowgate.conntrack.CtEvent.ALL);
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40008, 80).flags(FIN | ACK).seq(1001).ack(5001).build());
            final List<String> seen = new ArrayList<>();
            bed.events.drain(e -> seen.add(io.flowgate.conntrack.CtEvent.typeName(e.type) + " " + e.entry.srcPort[0]), 16);
            // Before: the hand-back branch came first in an else-chain and the UPDATE (ct -E) was never published.
            assertEquals(List.of("UPDATE 40008"), seen, "ct -E sees the offloaded connection leave ESTABLISHED");
        }
    }

    @Test
    void shouldForgetARefusedRequestWhenTheEntryDies()
    {
        try (Bed bed = new Bed())
        {
            final int idx = handshake(bed, 40009);
            final SpscSlotRing requests = bed.offload.requests();
            final long cookie = OffloadRequest.cookie(requests.peek());
            requests.release();
            postFold(bed, cookie, 0, 0, OffloadFold.REFUSED); // the map was full
            bed.worker.doWork();
            final long record = bed.conntrack.table().record(idx);
            assertEquals(0, CtRecord.status(record) & CtStatus.OFFLOAD, "refused: not offloaded");
            assertEquals(0b101, bed.offload.requestedMask(idx), "asked and refused, not asked again while it lives");
            bed.conntrack.kill(idx);
            // Before: only an entry with OFFLOAD told the listener, so the slot's next connection inherited the bits and
            // its original direction was never offloaded.
            assertEquals(0, bed.offload.requestedMask(idx), "the slot's next connection starts clean");
            assertEquals(0, requests.peek(), "nothing to remove: the refused direction was never in the map");
        }
    }

    @Test
    void shouldTrackAFinAfterDataTheFastPathCarriedAsLinuxDoesAfterAFlowtable()
    {
        try (Bed bed = new Bed())
        {
            final int idx = handshake(bed, 40006);
            final SpscSlotRing requests = bed.offload.requests();
            requests.release();
            // 10 MB went both ways in the fast path: the tracker saw none of it. Without the fix-up (td_maxwin reset,
            // flow_offload_fixup_tcp) the FIN is out of window, INVALID, and the connection never leaves ESTABLISHED.
            final int carried = 10_000_000;
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40006, 80).flags(FIN | ACK).seq(1001 + carried).ack(5001 + carried).build());
            final long record = bed.conntrack.table().record(idx);
            assertEquals(io.flowgate.conntrack.tcp.TcpState.FIN_WAIT, OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET),
                "the FIN was tracked");
            assertEquals(0, CtRecord.status(record) & CtStatus.OFFLOAD, "OFFLOAD cleared");
            bed.send(bed.out, PacketBuilder.tcp(B, A, 80, 40006).flags(FIN | ACK).seq(5001 + carried).ack(1002 + carried).build());
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40006, 80).flags(ACK).seq(1002 + carried).ack(5002 + carried).build());
            assertEquals(io.flowgate.conntrack.tcp.TcpState.TIME_WAIT, OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET),
                "closed through Java");
        }
    }

    @Test
    void shouldAskForRemovalWhenTheEntryIsDeletedAndClearBitsWhenSwitchedOff()
    {
        try (Bed bed = new Bed())
        {
            final int first = handshake(bed, 40005);
            final int second = handshake(bed, 40006);
            final SpscSlotRing requests = bed.offload.requests();
            final long firstCookie = OffloadRequest.cookie(requests.peek());
            requests.release();
            requests.peek();
            requests.release();
            bed.conntrack.kill(first); // ct -D
            long slot = requests.peek();
            assertTrue(slot != 0);
            assertEquals(OffloadRequest.REMOVE, OffloadRequest.type(slot));
            assertEquals(firstCookie, OffloadRequest.cookie(slot));
            requests.release();

            bed.offload.enabled(false);
            postFold(bed, OffloadFold.CLEAR, 0, 0, 0);
            bed.worker.doWork();
            assertEquals(0, CtRecord.status(bed.conntrack.table().record(second)) & CtStatus.OFFLOAD, "switched off: bit cleared");
            // Java has the connection again after the fast path carried 10 MB: its FIN is tracked, not INVALID.
            final int carried = 10_000_000;
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40006, 80).flags(FIN | ACK).seq(1001 + carried).ack(5001 + carried).build());
            assertEquals(io.flowgate.conntrack.tcp.TcpState.FIN_WAIT,
                OffHeap.getUnsignedByte(bed.conntrack.table().record(second) + CtRecord.TCP_STATE_OFFSET), "switched off: FIN tracked");
            bed.conntrack.kill(second);
            assertEquals(0, requests.peek(), "nothing to remove once cleared");
        }
    }

    @Test
    void shouldNotAllocateWhenRequestingAndFolding()
    {
        try (Bed bed = new Bed())
        {
            final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
            final long threadId = Thread.currentThread().threadId();
            long allocated = -1;
            for (int round = 0; round < 4; round++)
            {
                final int base = 41000 + round * 16;
                final MbufBurst acks = new MbufBurst(bed.arena, 16);
                for (int c = 0; c < 16; c++)
                {
                    bed.send(bed.in, PacketBuilder.tcp(A, B, base + c, 80).flags(SYN).seq(1000).build());
                    bed.send(bed.out, PacketBuilder.tcp(B, A, 80, base + c).flags(SYN | ACK).seq(5000).ack(1001).build());
                }
                final byte[][] frames = new byte[16][];
                for (int c = 0; c < 16; c++)
                {
                    frames[c] = PacketBuilder.tcp(A, B, base + c, 80).flags(ACK).seq(1001).ack(5001).build();
                }
                assertTrue(pool.allocBulk(acks.address(), 16));
                for (int c = 0; c < 16; c++)
                {
                    final long data = Mbuf.data(acks.mbuf(c));
                    for (int k = 0; k < 6; k++)
                    {
                        Memory.putByte(data + k, (byte)(MAC_IN >>> (40 - 8 * k)));
                        Memory.putByte(data + 6 + k, (byte)(MAC_A >>> (40 - 8 * k)));
                    }
                    Memory.putByte(data + 12, (byte)0x08);
                    Memory.putByte(data + 13, (byte)0);
                    for (int k = 0; k < frames[c].length; k++)
                    {
                        Memory.putByte(data + 14 + k, frames[c][k]);
                    }
                    Mbuf.length(acks.mbuf(c), 14 + frames[c].length);
                }
                acks.count(16);
                final long before = threads.getThreadAllocatedBytes(threadId);
                acks.transmitOrFree(bed.in, 0);
                bed.worker.doWork(); // 16 requests
                final SpscSlotRing requests = bed.offload.requests();
                final SpscSlotRing folds = bed.offload.folds();
                for (long slot = requests.peek(); slot != 0; slot = requests.peek())
                {
                    final long f = folds.claim();
                    OffHeap.putLong(f + OffloadFold.COOKIE_OFFSET, OffloadRequest.cookie(slot));
                    OffHeap.putLong(f + OffloadFold.PACKETS_OFFSET, 10);
                    OffHeap.putLong(f + OffloadFold.BYTES_OFFSET, 1000);
                    OffHeap.putLong(f + OffloadFold.LAST_SEEN_OFFSET, System.nanoTime());
                    folds.commit();
                    requests.release();
                }
                bed.worker.doWork(); // 16 folds
                allocated = threads.getThreadAllocatedBytes(threadId) - before;
                bed.drain();
                assertEquals(16 * (round + 1), bed.offload.counter(WorkerOffload.FOLDS));
            }
            assertEquals(0, allocated, "bytes allocated by requests and folds in steady state");
        }
    }

    private static String forward(final String rules)
    {
        return "table ip t {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n" + rules + "\n  }\n}\n";
    }

    /** A handshake and a data packet each way under {@code nft}: whether any offload was requested. */
    private static void assertDeclinedByRules(final String nft)
    {
        try (Bed bed = new Bed(false, forward(nft)))
        {
            final int idx = handshake(bed, 40100);
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40100, 80).flags(ACK).seq(1001).ack(5001).payload(10).build());
            bed.send(bed.out, PacketBuilder.tcp(B, A, 80, 40100).flags(ACK).seq(5001).ack(1011).payload(10).build());
            assertEquals(0, bed.offload.requests().peek(), "no request under: " + nft);
            assertEquals(0, bed.offload.counter(WorkerOffload.REQUESTED));
            assertEquals(3, bed.offload.counter(WorkerOffload.DECLINED_RULES), "the last ACK and one data packet each way");
            assertEquals("declined_rules", WorkerOffload.counterName(WorkerOffload.DECLINED_RULES));
            assertEquals(0, CtRecord.status(bed.conntrack.table().record(idx)) & CtStatus.OFFLOAD, "no OFFLOAD bit");
            assertEquals(5, bed.worker.counter(RouterWorker.TX), "all forwarded by the worker");
        }
    }

    @Test
    void shouldNotOffloadAFlowALimitOrLogRuleActsOn()
    {
        assertDeclinedByRules("    ct state established limit rate 1000/second burst 1000 packets accept");
        assertDeclinedByRules("    ct state established log prefix \"est: \" accept");
        assertDeclinedByRules("    ct state established,related counter log accept");
        assertDeclinedByRules("    meta mark set 0x10\n    ct state established accept");
    }

    @Test
    void shouldOffloadAFlowOnlyPlainVerdictsAndUnmatchedStatementsSee()
    {
        try (Bed bed = new Bed(false, forward("    tcp dport 22 log prefix \"ssh: \" limit rate 1/minute accept\n"
            + "    ct state established,related accept\n    ct state new accept\n    drop")))
        {
            handshake(bed, 40101);
            final SpscSlotRing requests = bed.offload.requests();
            assertTrue(requests.peek() != 0, "the last ACK of the handshake asks as without rules");
            requests.release();
            assertEquals(0, bed.offload.counter(WorkerOffload.DECLINED_RULES));
            assertEquals(1, bed.offload.counter(WorkerOffload.REQUESTED));
        }
    }

    private static long[] ruleCounter(final Bed bed, final int rule)
    {
        final var table = bed.engine.ruleset().tables().get(0);
        final long[] out = new long[2];
        assertTrue(bed.engine.counters().read(table, table.chain("forward"), rule, out));
        return out;
    }

    @Test
    void shouldOffloadACountedFlowAndFoldTheFastPathIntoTheRuleCounter() throws Exception
    {
        final String nft = forward("    ct state established,related counter accept\n    ct state new counter accept");
        try (Bed bed = new Bed(false, nft))
        {
            final int idx = handshake(bed, 40102);
            final SpscSlotRing requests = bed.offload.requests();
            final long slot = requests.peek();
            assertTrue(slot != 0, "a counter alone does not keep the flow off the fast path");
            final long cookie = OffloadRequest.cookie(slot);
            requests.release();
            assertEquals(0, bed.offload.counter(WorkerOffload.DECLINED_RULES));
            final long[] before = ruleCounter(bed, 0);
            assertEquals(2, before[0], "SYN-ACK and ACK counted by the worker");
            assertEquals(1, ruleCounter(bed, 1)[0], "the SYN");

            postFold(bed, cookie, 1000, 64_000, System.nanoTime());
            bed.worker.doWork();
            final long[] after = ruleCounter(bed, 0);
            assertEquals(before[0] + 1000, after[0], "the fast path's packets counted by the rule that counted the request");
            assertEquals(before[1] + 64_000, after[1]);
            assertEquals(1, ruleCounter(bed, 1)[0], "not by another rule");

            // A reload: the folds' rule indexes belong to the old ruleset. The direction comes back to the worker.
            bed.engine.workers().get(0).park();
            bed.engine.load(NftParser.parse("test.nft", nft));
            postFold(bed, cookie, 5, 500, System.nanoTime());
            bed.worker.doWork();
            assertEquals(1, bed.offload.counter(WorkerOffload.RULES_RELOADED));
            long next = requests.peek();
            assertTrue(next != 0);
            assertEquals(OffloadRequest.REMOVE, OffloadRequest.type(next));
            assertEquals(cookie, OffloadRequest.cookie(next));
            requests.release();
            assertEquals(0, CtRecord.status(bed.conntrack.table().record(idx)) & CtStatus.OFFLOAD, "no direction left in the map");
            assertEquals(after[0], ruleCounter(bed, 0)[0], "carried over by the reload, the stale fold not added");

            // The direction's next packet is evaluated by the new rules and asks again, remembering the new ruleset's counter.
            // 10 MB went each way in the fast path: the hand-back forgot the windows, so the segment is tracked, not INVALID.
            final int carried = 10_000_000;
            final long txBefore = bed.worker.counter(RouterWorker.TX);
            bed.send(bed.in, PacketBuilder.tcp(A, B, 40102, 80).flags(ACK).seq(1001 + carried).ack(5001 + carried).payload(10).build());
            assertEquals(txBefore + 1, bed.worker.counter(RouterWorker.TX), "forwarded: in window after the hand-back");
            next = requests.peek();
            assertTrue(next != 0, "asked again");
            assertEquals(OffloadRequest.INSERT, OffloadRequest.type(next));
            requests.release();
            postFold(bed, cookie, 7, 700, System.nanoTime());
            bed.worker.doWork();
            assertEquals(after[0] + 1 + 7, ruleCounter(bed, 0)[0]);
        }
    }
}
