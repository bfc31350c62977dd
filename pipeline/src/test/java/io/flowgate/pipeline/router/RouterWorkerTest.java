package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.dispatch.BurstRing;
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
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The router worker on the real EAL: packets injected through a loopback ring port, routed into a null port. */
class RouterWorkerTest
{
    private static final int HOST_A = 0x0A010002;      // 10.1.0.2
    private static final int HOST_B = 0x0A020002;      // 10.2.0.2
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router-test", 4095, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @Test
    void shouldRouteEveryPacketOfFullSizeBurstsAndLeakNothing()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined();
             DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             DpdkPort out = DpdkPort.open(TestEal.newPort("net_null", "no-rx=1"), PortConfig.DEFAULT, pool);
             RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
             NeighbourTable neighbours = new NeighbourTable(64, 1))
        {
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            assertTrue(resolver.addPermanent(out.id(), HOST_B, MAC_B, 0));
            final RouterPort[] ports = {
                new RouterPort(in, 0x02_00_00_00_01_01L, 1500, new PortAddresses(in.id(), 0x02_00_00_00_01_01L, 1).addIpv4(0x0A010001)),
                new RouterPort(out, 0x02_00_00_00_02_02L, 1500, new PortAddresses(out.id(), 0x02_00_00_00_02_02L, 1).addIpv4(0x0A020001))};
            final IntHashSet local = new IntHashSet();
            local.add(0x0A010001);
            local.add(0x0A020001);
            final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final RouterWorker worker = new RouterWorker("test", 0, ports, local, routes.ipv4(), routes.nextHops(), neighbours,
                new HookChain(32), slow, null, 32);

            final UdpFlowGenerator gen = new UdpFlowGenerator(new UdpFlowGenerator.Config(64, 1518, 0x02_00_00_00_00_0AL,
                0x02_00_00_00_01_01L, HOST_A, HOST_B, 1024, 80));
            final MbufBurst tx = new MbufBurst(arena, 64);
            final int rounds = 16;
            for (int r = 0; r < rounds; r++)
            {
                assertTrue(pool.allocBulk(tx.address(), 64));
                for (int i = 0; i < 64; i++)
                {
                    Mbuf.length(tx.mbuf(i), gen.write(Mbuf.data(tx.mbuf(i)), i));
                }
                tx.count(64);
                assertEquals(64, tx.transmitOrFree(in, 0));
                while (worker.doWork() > 0)
                {
                    // drain the ring port
                }
            }
            final long injected = 64L * rounds;
            assertEquals(injected, worker.counter(RouterWorker.RX));
            assertEquals(injected, worker.counter(RouterWorker.TX), "every packet routed: " + counters(worker));
            assertEquals(injected, out.stats().opackets());
            assertEquals(0, worker.counter(RouterWorker.DROPPED));
            worker.onClose();
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    @Test
    void shouldRewriteMacsAndDecrementTtl()
    {
        try (Arena arena = Arena.ofConfined();
             DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             DpdkPort out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
             NeighbourTable neighbours = new NeighbourTable(64, 1))
        {
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            resolver.addPermanent(out.id(), HOST_B, MAC_B, 0);
            final RouterPort[] ports = {
                new RouterPort(in, 0x02_00_00_00_01_01L, 1500, new PortAddresses(in.id(), 0x02_00_00_00_01_01L, 1).addIpv4(0x0A010001))};
            final RouterPort outPort = new RouterPort(out, 0x02_00_00_00_02_02L, 1500,
                new PortAddresses(out.id(), 0x02_00_00_00_02_02L, 1).addIpv4(0x0A020001));
            // The worker polls only "in"; what it sends to "out" (a loopback ring) waits there for this test.
            final RouterPort[] all = {ports[0], outPort};
            final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final RouterWorker worker = new RouterWorker("test", 0, all, new IntHashSet(), routes.ipv4(), routes.nextHops(), neighbours,
                new HookChain(32), slow, null, 32);
            final UdpFlowGenerator gen = new UdpFlowGenerator(new UdpFlowGenerator.Config(1, 64, 0x02_00_00_00_00_0AL,
                0x02_00_00_00_01_01L, HOST_A, HOST_B, 1024, 80));
            final MbufBurst tx = new MbufBurst(arena, 1);
            assertTrue(pool.allocBulk(tx.address(), 1));
            Mbuf.length(tx.mbuf(0), gen.write(Mbuf.data(tx.mbuf(0)), 0));
            tx.count(1);
            assertEquals(1, tx.transmitOrFree(in, 0));
            worker.doWork();
            final MbufBurst rx = new MbufBurst(arena, 4);
            assertEquals(1, rx.receive(out, 0));
            final long frame = Mbuf.data(rx.mbuf(0));
            assertEquals(MAC_B, EthernetFlyweight.getDstMac(frame));
            assertEquals(0x02_00_00_00_02_02L, EthernetFlyweight.getSrcMac(frame));
            final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
            assertEquals(63, Memory.getUnsignedByte(ip + Ipv4Flyweight.TTL_OFFSET));
            assertEquals(0, io.flowgate.pmd.checksum.Checksum.checksum(ip, 20), "header checksum still valid");
            rx.free();
            worker.onClose();
        }
    }

    private static String counters(final RouterWorker w)
    {
        return "rx=" + w.counter(RouterWorker.RX) + " tx=" + w.counter(RouterWorker.TX) + " dropped=" + w.counter(RouterWorker.DROPPED)
            + " slow=" + w.counter(RouterWorker.TO_SLOW_PATH) + " slowFull=" + w.counter(RouterWorker.SLOW_PATH_FULL);
    }
}
