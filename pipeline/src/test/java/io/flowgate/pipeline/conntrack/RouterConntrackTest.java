package io.flowgate.pipeline.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.router.RouterPort;
import io.flowgate.pipeline.router.RouterWorker;
import io.flowgate.pipeline.router.SlowPathBurst;
import io.flowgate.pmd.header.UdpFlyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
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
 * Conntrack inside the router worker on the real EAL (a loopback ring port in, a null port out): entries for
 * forwarded flows, nothing left by packets a later hook drops, ctinfo visible to the hooks after it, no mbuf
 * leaked, and established flows still forwarded while a flood of new ones finds the table full.
 */
class RouterConntrackTest
{
    private static final int HOST_A = 0x0A010002;      // 10.1.0.2
    private static final int HOST_B = 0x0A020002;      // 10.2.0.2
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router-ct-test", 4095, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    /** A FORWARD handler that drops UDP to port 666, records the ctinfo it sees and marks connections to port 80 as nft's {@code ct mark set} would. */
    private static final class Filter implements HookHandler
    {
        final List<Integer> ctinfos = new ArrayList<>();
        CtAccess access;

        @Override
        public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
        {
            for (int k = 0; k < count; k++)
            {
                final int i = packets[k];
                ctinfos.add(burst.ctinfo[i]);
                assertEquals(8, CtAccess.stateBit(burst, i), "ct state new");
                assertEquals(0, CtAccess.direction(burst, i), "ct direction original");
                if (access.mark(burst, i) == 0)
                {
                    access.mark(burst, i, 0x80 + (access.status(burst, i) & CtStatus.SEEN_REPLY));
                }
                final int dport = UdpFlyweight.getDstPort(burst.l3[i] + 20);
                verdicts[i] = dport == 666 ? Verdict.DROP : Verdict.ACCEPT;
            }
        }
    }

    private record Bed(DpdkPort in, DpdkPort out, RouteTable routes, NeighbourTable neighbours, RouterWorker worker, Conntrack conntrack,
                       HugePageTableMemory memory)
    {
    }

    private static Bed bed(final Arena arena, final ConntrackConfig config, final HookHandler forward)
    {
        final DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
        final DpdkPort out = DpdkPort.open(TestEal.newPort("net_null", "no-rx=1"), PortConfig.DEFAULT, pool);
        final RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
        final NeighbourTable neighbours = new NeighbourTable(64, 1);
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
        final HookChain chain = new HookChain(32);
        final HugePageTableMemory memory = new HugePageTableMemory();
        final Conntrack conntrack = new Conntrack(0, config, memory, new CtEventRing(1 << 16), new CtMailbox(), 32, 2, 1);
        final CtClock clock = new CtClock();
        chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "nf_conntrack_in", new ConntrackHook(conntrack, true, clock, 0, 32));
        final ConfirmHook confirm = new ConfirmHook(conntrack);
        chain.register(Hook.INPUT, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
        chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
        if (forward != null)
        {
            chain.register(Hook.FORWARD, HookPriority.FILTER, "filter", forward);
            if (forward instanceof Filter filter)
            {
                filter.access = new CtAccess(conntrack.table());
            }
        }
        final RouterWorker worker = new RouterWorker("test", 0, ports, local, routes.ipv4(), routes.nextHops(), neighbours, chain, slow, null,
            32);
        worker.conntrack(conntrack, clock, confirm);
        return new Bed(in, out, routes, neighbours, worker, conntrack, memory);
    }

    private static void close(final Bed bed)
    {
        bed.worker.onClose();
        bed.conntrack.table().close();
        bed.neighbours.close();
        bed.routes.close();
        bed.out.close();
        bed.in.close();
    }

    /** Sends {@code count} frames of flows {@code first..first+count) with destination port {@code dport} and lets the worker route them. */
    private static void send(final Arena arena, final Bed bed, final int first, final int count, final int dport)
    {
        final UdpFlowGenerator gen = new UdpFlowGenerator(new UdpFlowGenerator.Config(65536, 64, 0x02_00_00_00_00_0AL, 0x02_00_00_00_01_01L,
            HOST_A, HOST_B, 1024, dport));
        final MbufBurst tx = new MbufBurst(arena, 32);
        for (int done = 0; done < count; )
        {
            final int n = Math.min(32, count - done);
            assertTrue(pool.allocBulk(tx.address(), n));
            for (int i = 0; i < n; i++)
            {
                Mbuf.length(tx.mbuf(i), gen.write(Mbuf.data(tx.mbuf(i)), first + done + i));
            }
            tx.count(n);
            assertEquals(n, tx.transmitOrFree(bed.in, 0));
            while (bed.worker.doWork() > 0)
            {
                // drain the ring port
            }
            done += n;
        }
    }

    private static List<CtEntry> entries(final Conntrack conntrack)
    {
        final List<CtEntry> out = new ArrayList<>();
        try (var reader = conntrack.table().reader())
        {
            reader.enter();
            for (int i = 0; i < reader.limit(); i++)
            {
                final CtEntry e = new CtEntry();
                if (reader.snapshot(i, 0, e))
                {
                    e.index = i;
                    out.add(e);
                }
            }
            reader.exit();
        }
        return out;
    }

    @Test
    void shouldTrackForwardedFlowsAndLeaveNothingForPacketsAHookDropped()
    {
        final int baseline = pool.inUse();
        final Filter filter = new Filter();
        try (Arena arena = Arena.ofConfined())
        {
            final Bed bed = bed(arena, ConntrackConfig.defaults(4096), filter);
            try
            {
                send(arena, bed, 0, 100, 80);
                send(arena, bed, 0, 100, 80);
                send(arena, bed, 200, 10, 666);
                final List<CtEntry> entries = entries(bed.conntrack);
                assertEquals(100, entries.size(), "one entry per forwarded flow, none for the dropped ones");
                for (final CtEntry e : entries)
                {
                    assertEquals(17, e.protocol);
                    assertEquals(HOST_B & 0xFFFF_FFFFL, e.dstLo[0]);
                    assertEquals(e.srcLo[0], e.dstLo[1]);
                    assertEquals(2, e.packets[0]);
                    assertEquals(0, e.packets[1]);
                    assertEquals(0x80, e.mark, "ct mark set by the FORWARD hook, kept by the entry");
                    assertEquals(CtStatus.CONFIRMED, e.status & (CtStatus.CONFIRMED | CtStatus.SEEN_REPLY));
                }
                assertEquals(210, filter.ctinfos.size());
                for (final int ctinfo : filter.ctinfos)
                {
                    assertEquals(CtInfo.NEW, ctinfo, "unreplied UDP stays NEW");
                }
                assertEquals(200, bed.worker.counter(RouterWorker.TX));
                assertEquals(100, bed.conntrack.stats().insert);
                assertEquals(110, bed.conntrack.stats().created);
            }
            finally
            {
                close(bed);
            }
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    @Test
    void shouldKeepForwardingEstablishedFlowsWhileNewOnesFindTheTableFull()
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined())
        {
            final Bed bed = bed(arena, ConntrackConfig.defaults(1024), null);
            try
            {
                send(arena, bed, 0, 960, 80); // below the 95% mark: nothing is evicted
                assertEquals(960, bed.conntrack.table().size());
                for (final CtEntry e : entries(bed.conntrack))
                {
                    // As if each had seen its reply and a stream: assured entries are never early-dropped.
                    final long record = bed.conntrack.table().record(e.index);
                    io.flowgate.conntrack.CtRecord.status(record, e.status | CtStatus.ASSURED | CtStatus.SEEN_REPLY);
                }
                final long txBefore = bed.worker.counter(RouterWorker.TX);
                send(arena, bed, 10_000, 4000, 80); // a flood of new flows: they can only evict each other
                assertTrue(bed.conntrack.stats().earlyDrop > 0);
                assertEquals(4000, bed.worker.counter(RouterWorker.TX) - txBefore + bed.conntrack.stats().drop,
                    "every flood packet forwarded or dropped for want of room");
                assertTrue(bed.conntrack.table().size() <= 1024);
                final long txFlood = bed.worker.counter(RouterWorker.TX);
                final long found = bed.conntrack.stats().found;
                send(arena, bed, 0, 960, 80); // the established flows go on, every one found
                assertEquals(txFlood + 960, bed.worker.counter(RouterWorker.TX));
                assertEquals(found + 960, bed.conntrack.stats().found);
                int assured = 0;
                for (final CtEntry e : entries(bed.conntrack))
                {
                    assured += (e.status & CtStatus.ASSURED) != 0 ? 1 : 0;
                }
                assertEquals(960, assured, "no assured entry was evicted");
            }
            finally
            {
                close(bed);
            }
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    @Test
    void shouldEarlyDropUnassuredEntriesToMakeRoomForNewOnes()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final Bed bed = bed(arena, ConntrackConfig.defaults(1024), null);
            try
            {
                send(arena, bed, 0, 1024, 80);
                final long txBefore = bed.worker.counter(RouterWorker.TX);
                send(arena, bed, 10_000, 500, 80);
                assertTrue(bed.conntrack.stats().earlyDrop > 0, "unassured entries evicted");
                assertEquals(500, bed.worker.counter(RouterWorker.TX) - txBefore + bed.conntrack.stats().drop);
                assertTrue(bed.conntrack.table().size() <= 1024);
            }
            finally
            {
                close(bed);
            }
        }
    }
}
