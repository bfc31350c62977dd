package io.flowgate.pipeline.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SoftwareDispatcherTest
{
    private static final int FLOWS = 64;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("dispatch-test", 4095, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @Test
    void shouldHashBothDirectionsOfAFlowAlike()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment memory = arena.allocate(4096);
            final UdpFlowGenerator forward = new UdpFlowGenerator(UdpFlowGenerator.Config.of(FLOWS, 64));
            final Set<Integer> hashes = new HashSet<>();
            for (int flow = 0; flow < FLOWS; flow++)
            {
                final int len = forward.write(memory.address(), flow);
                final int there = SymmetricFlowHash.ipv4(memory.address() + EthernetFlyweight.HEADER_LENGTH, len - EthernetFlyweight.HEADER_LENGTH);
                final int rlen = reverse(forward, flow).write(memory.address() + 2048, 0);
                final int back = SymmetricFlowHash.ipv4(memory.address() + 2048 + EthernetFlyweight.HEADER_LENGTH, rlen - EthernetFlyweight.HEADER_LENGTH);
                assertEquals(there, back, "flow " + flow);
                hashes.add(there);
            }
            assertEquals(FLOWS, hashes.size(), "different flows hash apart");
        }
    }

    @Test
    void shouldHashEveryFragmentOfADatagramAlike()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment memory = arena.allocate(2048);
            final UdpFlowGenerator gen = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1, 64));
            final int len = gen.write(memory.address(), 0) - EthernetFlyweight.HEADER_LENGTH;
            final long ip = memory.address() + EthernetFlyweight.HEADER_LENGTH;
            Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, Ipv4Flyweight.FLAG_MORE_FRAGMENTS);
            final int first = SymmetricFlowHash.ipv4(ip, len);
            Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 185);
            Memory.putLong(ip + 20, 0x1122334455667788L); // a later fragment: payload bytes where ports would be
            assertEquals(first, SymmetricFlowHash.ipv4(ip, len));
        }
    }

    @Test
    void shouldSendBothDirectionsOfEveryFlowToOneWorkerAndLeakNothing()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined(); DpdkPort ring = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool))
        {
            final UdpFlowGenerator forward = new UdpFlowGenerator(UdpFlowGenerator.Config.of(FLOWS, 64));
            final MbufBurst tx = new MbufBurst(arena, 2 * FLOWS);
            if (!pool.allocBulk(tx.address(), 2 * FLOWS))
            {
                throw new IllegalStateException("pool exhausted");
            }
            for (int flow = 0; flow < FLOWS; flow++)
            {
                Mbuf.length(tx.mbuf(2 * flow), forward.write(Mbuf.data(tx.mbuf(2 * flow)), flow));
                Mbuf.length(tx.mbuf(2 * flow + 1), reverse(forward, flow).write(Mbuf.data(tx.mbuf(2 * flow + 1)), 0));
            }
            tx.count(2 * FLOWS);
            assertEquals(2 * FLOWS, tx.transmitOrFree(ring, 0));

            final int workers = 4;
            @SuppressWarnings("unchecked")
            final BurstRing<MbufBurst>[] rings = new BurstRing[workers];
            for (int w = 0; w < workers; w++)
            {
                rings[w] = BurstRing.ofMbufBursts(arena, 8, 32);
            }
            final SoftwareDispatcher dispatcher = new SoftwareDispatcher(ring, 0, rings, 32);
            int work = 0;
            for (int i = 0; i < 8; i++)
            {
                work += dispatcher.doWork();
            }
            // Nobody consumes here: bursts that are not full wait while their worker's ring holds one; stopping publishes them.
            dispatcher.stopReceiving();
            dispatcher.doWork();
            assertEquals(2 * FLOWS, work);
            assertEquals(2 * FLOWS, dispatcher.dispatched());

            // flow key (the client's source address) -> worker that got it
            final Map<Integer, Integer> owner = new HashMap<>();
            final Set<Integer> usedWorkers = new HashSet<>();
            int seen = 0;
            for (int w = 0; w < workers; w++)
            {
                MbufBurst b;
                while ((b = rings[w].poll()) != null)
                {
                    for (int i = 0; i < b.count(); i++)
                    {
                        final long ip = Mbuf.data(b.mbuf(i)) + EthernetFlyweight.HEADER_LENGTH;
                        final int src = Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET);
                        final int dst = Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET);
                        final int client = src == forward.config().dstIp() ? dst : src;
                        final Integer previous = owner.putIfAbsent(client, w);
                        if (previous != null)
                        {
                            assertEquals(previous.intValue(), w, "both directions of a flow reach the same worker");
                        }
                        usedWorkers.add(w);
                        seen++;
                    }
                    b.free();
                    b.count(0);
                    rings[w].release(b);
                }
            }
            assertEquals(2 * FLOWS, seen);
            assertEquals(FLOWS, owner.size());
            assertEquals(workers, usedWorkers.size(), "64 flows spread over all 4 workers");
            dispatcher.onClose();
        }
        assertEquals(baseline, pool.inUse());
    }

    @Test
    void shouldCountAndFreeWhatAFullRingCannotTake()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined(); DpdkPort ring = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool))
        {
            final UdpFlowGenerator gen = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1, 64));
            @SuppressWarnings("unchecked")
            final BurstRing<MbufBurst>[] rings = new BurstRing[] {BurstRing.ofMbufBursts(arena, 2, 32)};
            final SoftwareDispatcher dispatcher = new SoftwareDispatcher(ring, 0, rings, 32);
            final MbufBurst tx = new MbufBurst(arena, 32);
            for (int round = 0; round < 4; round++)
            {
                assertTrue(pool.allocBulk(tx.address(), 32));
                for (int i = 0; i < 32; i++)
                {
                    Mbuf.length(tx.mbuf(i), gen.write(Mbuf.data(tx.mbuf(i)), 0));
                }
                tx.count(32);
                assertEquals(32, tx.transmitOrFree(ring, 0));
                assertEquals(32, dispatcher.doWork());
            }
            assertEquals(64, dispatcher.dispatched(), "two bursts fit the ring");
            assertEquals(64, dispatcher.dropped(), "the rest is freed and counted");
            assertNotEquals(0, rings[0].noEmptyBurstEvents());
            MbufBurst b;
            while ((b = rings[0].poll()) != null)
            {
                assertNotNull(b);
                b.free();
                rings[0].release(b);
            }
            dispatcher.onClose();
        }
        assertEquals(baseline, pool.inUse());
    }

    private static UdpFlowGenerator reverse(final UdpFlowGenerator forward, final int flow)
    {
        final UdpFlowGenerator.Config c = forward.config();
        return new UdpFlowGenerator(new UdpFlowGenerator.Config(1, c.frameSize(), c.dstMac(), c.srcMac(), c.dstIp(),
            forward.srcIp(flow), c.dstPort(), forward.srcPort(flow)));
    }
}
