package io.flowgate.pmd.fwd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.os.Affinity;
import io.flowgate.pmd.lcore.LcoreAgent;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.Packets;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IoForwarderTest
{
    private static Eal eal;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        eal = TestEal.get();
        pool = Mempool.createPktmbufPool("fwd-test", 8191, 256, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @Test
    void shouldPinAndRegisterWorkerThreads() throws Exception
    {
        final CompletableFuture<int[]> seen = new CompletableFuture<>();
        final Agent probe = new Agent()
        {
            @Override
            public int doWork()
            {
                if (!seen.isDone())
                {
                    final int[] cpus = Affinity.currentThreadCpus();
                    seen.complete(new int[] {cpus.length, cpus[0], Eal.currentLcoreId()});
                }
                return 0;
            }

            @Override
            public String roleName()
            {
                return "probe";
            }
        };
        final int cpu = Runtime.getRuntime().availableProcessors() - 1;
        final AgentRunner runner = LcoreAgent.start(eal, cpu, probe, new SleepingMillisIdleStrategy(1));
        try
        {
            final int[] result = seen.get(10, TimeUnit.SECONDS);
            assertEquals(1, result[0], "pinned to exactly one CPU");
            assertEquals(cpu, result[1]);
            assertTrue(result[2] >= 0 && result[2] < 128, "registered threads get an lcore id, got " + result[2]);
        }
        finally
        {
            runner.close();
        }
    }

    @Test
    void shouldForwardOrDropEveryPacketAndLeakNoMbufOnShutdown() throws Exception
    {
        final int baseline = pool.inUse();
        final PortConfig twoQueues = PortConfig.DEFAULT.withQueues(2, 2);
        // Loopback rings: what the forwarder sends to ring1 comes back on ring1 and is forwarded to ring0,
        // and back again: packets circulate until the transmit side refuses them (a drop) or shutdown.
        final DpdkPort ring0 = DpdkPort.open(TestEal.newPort("net_ring"), twoQueues, pool);
        final DpdkPort ring1 = DpdkPort.open(TestEal.newPort("net_ring"), twoQueues, pool);
        final int injected = 4 * 512;
        try (Arena arena = Arena.ofConfined())
        {
            final MbufBurst burst = new MbufBurst(arena, 512);
            for (int q = 0; q < 2; q++)
            {
                Packets.allocTagged(pool, burst, 512, 0);
                assertEquals(512, burst.transmitOrFree(ring0, q));
                Packets.allocTagged(pool, burst, 512, 0);
                assertEquals(512, burst.transmitOrFree(ring1, q));
            }
        }
        assertEquals(baseline + injected, pool.inUse());

        final List<Stream> streams = IoForwarder.pairedStreams(List.of(ring0, ring1));
        assertEquals(4, streams.size(), "two ports x two queues");
        final int cpu = Runtime.getRuntime().availableProcessors() - 1;
        final IoForwarder forwarder = IoForwarder.start(eal, streams, new int[] {cpu, 0}, 32,
            new IdleStrategy[] {new BusySpinIdleStrategy(), new NoOpIdleStrategy()});
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (forwarder.total(ForwardCounters.RX) < 100_000 && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        forwarder.close();

        final long rx = forwarder.total(ForwardCounters.RX);
        final long tx = forwarder.total(ForwardCounters.TX);
        final long drop = forwarder.total(ForwardCounters.DROP);
        assertTrue(rx >= 100_000, "forwarded " + rx);
        assertEquals(rx, tx + drop, "every received packet is sent or dropped");
        assertEquals(2, forwarder.workers());

        final long stillInRings = injected - drop;
        assertEquals(baseline + stillInRings, pool.inUse(), "packets in flight are in the rings, dropped ones are freed");
        ring0.close();
        ring1.close();
        assertEquals(baseline, pool.inUse(), "shutdown drained and freed every mbuf");
    }

    @Test
    void shouldFreeEveryGeneratedPacketWhenForwardingNullToNull() throws Exception
    {
        final int baseline = pool.inUse();
        final DpdkPort null0 = DpdkPort.open(TestEal.newPort("net_null"), PortConfig.DEFAULT, pool);
        final DpdkPort null1 = DpdkPort.open(TestEal.newPort("net_null"), PortConfig.DEFAULT, pool);
        final IoForwarder forwarder = IoForwarder.start(eal, IoForwarder.pairedStreams(List.of(null0, null1)),
            new int[] {Runtime.getRuntime().availableProcessors() - 1}, 32, new IdleStrategy[] {new BusySpinIdleStrategy()});
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (forwarder.total(ForwardCounters.TX) < 1_000_000 && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        forwarder.close();
        assertTrue(forwarder.total(ForwardCounters.TX) >= 1_000_000);
        assertEquals(forwarder.total(ForwardCounters.RX), forwarder.total(ForwardCounters.TX) + forwarder.total(ForwardCounters.DROP));
        assertEquals(forwarder.total(ForwardCounters.TX), null0.stats().opackets() + null1.stats().opackets());
        null0.close();
        null1.close();
        assertEquals(baseline, pool.inUse());
    }
}
