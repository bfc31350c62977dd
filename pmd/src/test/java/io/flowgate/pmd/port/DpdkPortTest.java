package io.flowgate.pmd.port;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.testing.Packets;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DpdkPortTest
{
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("port-test", 4095, 128, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @Test
    void shouldReceiveInOrderWhatALoopbackRingPortTransmitted()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined(); DpdkPort ring = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool))
        {
            final MbufBurst burst = new MbufBurst(arena, 32);
            Packets.allocTagged(pool, burst, 32, 1000);
            assertEquals(baseline + 32, pool.inUse());
            assertEquals(32, burst.transmitOrFree(ring, 0));

            final MbufBurst rx = new MbufBurst(arena, 64);
            assertEquals(32, rx.receive(ring, 0));
            for (int i = 0; i < 32; i++)
            {
                assertEquals(1000 + i, Packets.tag(rx.mbuf(i)));
                assertEquals(60, Mbuf.dataLength(rx.mbuf(i)));
                assertEquals(60, Mbuf.packetLength(rx.mbuf(i)));
            }
            rx.free();
        }
        assertEquals(baseline, pool.inUse());
    }

    @Test
    void shouldFreeWhatIsLeftInReceiveQueuesOnClose()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined())
        {
            final DpdkPort ring = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
            final MbufBurst burst = new MbufBurst(arena, 64);
            for (int i = 0; i < 10; i++)
            {
                Packets.allocTagged(pool, burst, 64, i * 64L);
                assertEquals(64, burst.transmitOrFree(ring, 0));
            }
            assertEquals(baseline + 640, pool.inUse(), "640 packets wait in the loopback ring");
            ring.close();
        }
        assertEquals(baseline, pool.inUse());
    }

    @Test
    void shouldReportDeviceFactsAndCountersOfANullPort()
    {
        try (Arena arena = Arena.ofConfined(); DpdkPort nul = DpdkPort.open(TestEal.newPort("net_null", "no-rx=1"), PortConfig.DEFAULT, pool))
        {
            assertEquals("net_null", nul.driverName());
            assertTrue(nul.link().up(), "a started null port reports link up");
            final MbufBurst burst = new MbufBurst(arena, 32);
            Packets.allocTagged(pool, burst, 32, 0);
            assertEquals(32, burst.transmitOrFree(nul, 0));
            assertEquals(0, burst.receive(nul, 0), "no-rx=1: nothing to receive");
            final EthDev.Stats stats = nul.stats();
            assertEquals(32, stats.opackets());
            assertEquals(32, stats.queueOpackets()[0]);
            assertTrue(EthDev.xstats(nul.id()).containsKey("tx_good_packets"));
            EthDev.statsReset(nul.id());
            assertEquals(0, nul.stats().opackets());
        }
    }

    @Test
    void shouldSpreadFlowsOverQueuesOfAMultiQueuePort()
    {
        try (DpdkPort ring = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT.withQueues(4, 4), pool))
        {
            assertEquals(4, ring.rxQueues());
            assertEquals(4, ring.txQueues());
        }
    }

    @Test
    void shouldRefuseMoreQueuesThanTheDeviceHasAndLeaveItUsable()
    {
        final int port = TestEal.newPort("net_ring");
        final DpdkException ex = assertThrows(DpdkException.class,
            () -> DpdkPort.open(port, PortConfig.DEFAULT.withQueues(1000, 1), pool));
        assertTrue(ex.getMessage().contains("supports"), ex.getMessage());
        try (DpdkPort ring = DpdkPort.open(port, PortConfig.DEFAULT, pool))
        {
            assertEquals(1, ring.rxQueues());
        }
    }

    @Test
    void shouldNameTheMissingPort()
    {
        final DpdkException ex = assertThrows(DpdkException.class, () -> EthDev.portByName("net_nonexistent7"));
        assertTrue(ex.getMessage().contains("net_nonexistent7"), ex.getMessage());
        final DpdkException ex2 = assertThrows(DpdkException.class, () -> DpdkPort.open(31, PortConfig.DEFAULT, pool));
        assertTrue(ex2.getMessage().contains("no DPDK port 31"), ex2.getMessage());
    }
}
