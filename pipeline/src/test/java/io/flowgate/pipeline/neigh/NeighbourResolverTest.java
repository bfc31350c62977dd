package io.flowgate.pipeline.neigh;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.neigh.NeighbourResolver.F_OVERRIDE;
import static io.flowgate.pipeline.neigh.NeighbourResolver.F_WEAK_OVERRIDE;
import static io.flowgate.pipeline.neigh.NeighbourState.DELAY;
import static io.flowgate.pipeline.neigh.NeighbourState.FAILED;
import static io.flowgate.pipeline.neigh.NeighbourState.INCOMPLETE;
import static io.flowgate.pipeline.neigh.NeighbourState.NOARP;
import static io.flowgate.pipeline.neigh.NeighbourState.PERMANENT;
import static io.flowgate.pipeline.neigh.NeighbourState.PROBE;
import static io.flowgate.pipeline.neigh.NeighbourState.REACHABLE;
import static io.flowgate.pipeline.neigh.NeighbourState.STALE;
import static io.flowgate.pipeline.neigh.NeighbourTable.NO_MAC;
import static io.flowgate.pipeline.neigh.NeighbourTable.NO_SLOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden tests of the NUD state machine: each transition of {@link NeighbourState}'s table at explicit times,
 * with Linux's default parameters and a reachable time fixed at the base (30 s) unless a test says otherwise.
 */
class NeighbourResolverTest
{
    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final int PORT = 1;
    private static final int IP = 0xC000_0202;
    private static final String IP_HEX = "c0000202";
    private static final long MAC = 0x32fa_092a_c628L;
    private static final long MAC2 = 0x02aa_bbcc_ddeeL;

    private final RecordingHandler handler = new RecordingHandler();
    private final NeighbourTable table = new NeighbourTable(64, 3);
    private NeighbourResolver resolver = new NeighbourResolver(
        table, NeighbourParams.linuxDefaults().gcThresh1(0), new FixedRandom(0.5), handler);

    @AfterEach
    void close()
    {
        table.close();
    }

    // ------------------------------------------------------------------------------------------------------
    // INCOMPLETE: broadcast probes, then FAILED or resolved
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldStartIncompleteQueueThePacketAndSolicitOnAMiss()
    {
        assertEquals(NeighbourResolver.SOLICITED, resolver.resolve(PORT, IP, 1001, 0));

        assertEquals(INCOMPLETE, state());
        assertEquals(NO_MAC, table.lookupMac(PORT, IP));
        assertEquals(List.of("solicit " + IP_HEX + " multicast"), handler.take());
        assertEquals(1, resolver.pending().size(slot()));

        assertEquals(NeighbourResolver.QUEUED, resolver.resolve(PORT, IP, 1002, 100 * MS), "no second probe before retrans time");
        assertEquals(List.of(), handler.take());
        assertEquals(2, resolver.pending().size(slot()));
    }

    @Test
    void shouldRetransmitEveryRetransTimeThenFailAndDropTheQueuedPackets()
    {
        resolver.resolve(PORT, IP, 1001, 0);
        resolver.resolve(PORT, IP, 1002, 0);
        handler.take();

        resolver.doWork(999 * MS);
        assertEquals(List.of(), handler.take());
        resolver.doWork(S);
        assertEquals(List.of("solicit " + IP_HEX + " multicast"), handler.take(), "second probe at 1 s");
        resolver.doWork(1500 * MS);
        assertEquals(List.of(), handler.take());
        resolver.doWork(2 * S);
        assertEquals(List.of("solicit " + IP_HEX + " multicast"), handler.take(), "third and last (mcast_solicit 3) at 2 s");
        resolver.doWork(2999 * MS);
        assertEquals(INCOMPLETE, state());

        resolver.doWork(3 * S);
        assertEquals(FAILED, state());
        assertEquals(List.of("drop 1001 failed", "drop 1002 failed"), handler.take());
        assertEquals(NO_MAC, table.lookupMac(PORT, IP));
        assertEquals(1, resolver.resolveFailures());

        resolver.doWork(100 * S);
        assertEquals(List.of(), handler.take(), "FAILED has no timer");
    }

    @Test
    void shouldRestartResolutionOfAFailedNeighbour()
    {
        resolver.resolve(PORT, IP, 1001, 0);
        for (long t = S; t <= 3 * S; t += S)
        {
            resolver.doWork(t);
        }
        assertEquals(FAILED, state());
        handler.take();

        assertEquals(NeighbourResolver.SOLICITED, resolver.resolve(PORT, IP, 1002, 10 * S));
        assertEquals(INCOMPLETE, state());
        assertEquals(List.of("solicit " + IP_HEX + " multicast"), handler.take());
        resolver.doWork(11 * S);
        resolver.doWork(12 * S);
        resolver.doWork(13 * S);
        assertEquals(List.of("solicit " + IP_HEX + " multicast", "solicit " + IP_HEX + " multicast", "drop 1002 failed"),
            handler.take());
    }

    @Test
    void shouldBecomeReachableOnAReplyAndReleaseTheQueuedPacketsInOrder()
    {
        resolver.resolve(PORT, IP, 1001, 0);
        resolver.resolve(PORT, IP, 1002, 100 * MS);
        resolver.resolve(PORT, IP, 1003, 200 * MS);
        handler.take();

        assertTrue(resolver.update(slot(), MAC, REACHABLE, F_OVERRIDE, 500 * MS));

        assertEquals(REACHABLE, state());
        assertEquals(MAC, table.lookupMac(PORT, IP));
        assertEquals(List.of(
            "transmit 1001 port 1 to 32fa092ac628",
            "transmit 1002 port 1 to 32fa092ac628",
            "transmit 1003 port 1 to 32fa092ac628"), handler.take());
        assertEquals(0, resolver.pending().size());

        resolver.doWork(S);
        resolver.doWork(2 * S);
        resolver.doWork(3 * S);
        assertEquals(List.of(), handler.take(), "no more probes");
        assertEquals(NeighbourResolver.RESOLVED, resolver.resolve(PORT, IP, 1004, 4 * S));
        assertEquals(List.of("transmit 1004 port 1 to 32fa092ac628"), handler.take(), "a late miss is sent at once");
    }

    @Test
    void shouldBecomeStaleOnARequestToUsAndStillReleaseTheQueue()
    {
        resolver.resolve(PORT, IP, 1001, 0);
        handler.take();

        resolver.update(slot(), MAC, STALE, F_OVERRIDE, 300 * MS);

        assertEquals(STALE, state());
        assertEquals(List.of("transmit 1001 port 1 to 32fa092ac628"), handler.take());
        assertEquals(MAC, table.lookupMac(PORT, IP), "STALE is usable");
    }

    @Test
    void shouldKeepOnlyTheNewestPacketsOfAnUnresolvedNeighbour()
    {
        for (int packet = 1; packet <= 5; packet++)
        {
            resolver.resolve(PORT, IP, packet, packet * MS);
        }
        assertEquals(List.of("solicit " + IP_HEX + " multicast", "drop 1 queue-full", "drop 2 queue-full"), handler.take());
        assertEquals(2, resolver.queueDrops());

        resolver.update(slot(), MAC, REACHABLE, F_OVERRIDE, 10 * MS);
        assertEquals(List.of(
            "transmit 3 port 1 to 32fa092ac628",
            "transmit 4 port 1 to 32fa092ac628",
            "transmit 5 port 1 to 32fa092ac628"), handler.take());
    }

    // ------------------------------------------------------------------------------------------------------
    // REACHABLE, STALE, DELAY, PROBE
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldGoStaleAfterTheReachableTimeWhenIdle()
    {
        reachableAtZero();

        resolver.doWork(29 * S);
        assertEquals(REACHABLE, state());
        resolver.doWork(30 * S);
        assertEquals(REACHABLE, state(), "reachable through confirmed + reachable time, inclusive (time_before_eq)");
        resolver.doWork(30 * S + 10 * MS);
        assertEquals(STALE, state());
        assertEquals(MAC, table.lookupMac(PORT, IP));
        assertEquals(List.of(), handler.take(), "going stale sends nothing");
    }

    @Test
    void shouldFollowTheDrawnReachableTime()
    {
        resolver = new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new SplittableRandom(7), handler);
        final long reachableNs = resolver.reachableTimeNs();
        reachableAtZero();

        resolver.doWork(reachableNs - MS);
        assertEquals(REACHABLE, state());
        resolver.doWork(reachableNs + 10 * MS);
        assertEquals(STALE, state());
    }

    @Test
    void shouldDrawTheReachableTimeBetweenHalfAndOneAndAHalfTheBaseEvery300Seconds()
    {
        assertEquals(15 * S, new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new FixedRandom(0), handler).reachableTimeNs());
        assertEquals(45 * S - 1, new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new FixedRandom(1), handler).reachableTimeNs());

        final NeighbourResolver seeded = new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new SplittableRandom(11), handler);
        final NeighbourResolver same = new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new SplittableRandom(11), handler);
        final Set<Long> drawn = new HashSet<>();
        for (long t = 0; t <= 100 * 300 * S; t += 300 * S)
        {
            seeded.doWork(t);
            same.doWork(t);
            final long reachableNs = seeded.reachableTimeNs();
            assertTrue(reachableNs >= 15 * S && reachableNs < 45 * S, "drawn " + reachableNs);
            assertEquals(reachableNs, same.reachableTimeNs(), "a seed repeats the draws");
            drawn.add(reachableNs);
        }
        assertTrue(drawn.size() > 90, "drawn again every 300 s");
    }

    @Test
    void shouldDelayAStaleEntryAWorkerUsedThenProbeItUnicastThenFail()
    {
        staleAtZero();

        assertEquals(MAC, table.lookupMac(PORT, IP), "a worker sends on the stale address");
        resolver.doWork(S);
        assertEquals(DELAY, state());

        resolver.doWork(5999 * MS);
        assertEquals(DELAY, state());
        assertEquals(List.of(), handler.take());

        resolver.doWork(6 * S);
        assertEquals(PROBE, state(), "delay time over, unconfirmed");
        assertEquals(List.of("solicit " + IP_HEX + " unicast 32fa092ac628"), handler.take());
        assertEquals(MAC, table.lookupMac(PORT, IP), "PROBE is still usable");

        resolver.doWork(7 * S);
        resolver.doWork(8 * S);
        assertEquals(List.of("solicit " + IP_HEX + " unicast 32fa092ac628", "solicit " + IP_HEX + " unicast 32fa092ac628"),
            handler.take(), "ucast_solicit 3 in all");
        resolver.doWork(9 * S);
        assertEquals(FAILED, state());
        assertEquals(NO_MAC, table.lookupMac(PORT, IP));
        assertEquals(List.of(), handler.take());
    }

    @Test
    void shouldAppendMulticastReprobesAfterTheUnicastOnes()
    {
        resolver = new NeighbourResolver(
            table, NeighbourParams.linuxDefaults().gcThresh1(0).mcastReprobes(1), new FixedRandom(0.5), handler);
        staleAtZero();
        table.lookupMac(PORT, IP);
        resolver.doWork(0);
        for (long t = 5 * S; t <= 9 * S; t += S)
        {
            resolver.doWork(t);
        }
        assertEquals(List.of(
            "solicit " + IP_HEX + " unicast 32fa092ac628",
            "solicit " + IP_HEX + " unicast 32fa092ac628",
            "solicit " + IP_HEX + " unicast 32fa092ac628",
            "solicit " + IP_HEX + " multicast"), handler.take());
        assertEquals(FAILED, state());
    }

    @Test
    void shouldReturnFromDelayToReachableWhenAnUpperLayerConfirmedMeanwhile()
    {
        staleAtZero();
        table.lookupMac(PORT, IP);
        resolver.doWork(S);
        assertEquals(DELAY, state());

        resolver.confirm(PORT, IP, 3 * S);
        resolver.doWork(6 * S);

        assertEquals(REACHABLE, state());
        assertEquals(List.of(), handler.take(), "no probe");
        resolver.doWork(33 * S);
        assertEquals(REACHABLE, state(), "reachable time counts from the confirmation");
        resolver.doWork(33 * S + 10 * MS);
        assertEquals(STALE, state());
    }

    @Test
    void shouldBecomeReachableWhenAProbeIsAnswered()
    {
        staleAtZero();
        table.lookupMac(PORT, IP);
        resolver.doWork(0);
        resolver.doWork(5 * S);
        assertEquals(PROBE, state());
        handler.take();

        resolver.update(slot(), MAC, REACHABLE, 0, 5300 * MS);

        assertEquals(REACHABLE, state());
        resolver.doWork(6 * S);
        resolver.doWork(7 * S);
        resolver.doWork(8 * S);
        assertEquals(List.of(), handler.take(), "the probes stop");
        assertEquals(REACHABLE, state());
    }

    @Test
    void shouldGoFromReachableToDelayWhenUsedWithinTheDelayTime()
    {
        reachableAtZero();
        resolver.doWork(27 * S);
        assertEquals(MAC, table.lookupMac(PORT, IP));
        resolver.doWork(28 * S);

        resolver.doWork(30 * S + 10 * MS);
        assertEquals(DELAY, state(), "used at 28 s, within 5 s of the reachable time running out");

        resolver.doWork(35 * S + 10 * MS);
        assertEquals(PROBE, state());
        assertEquals(List.of("solicit " + IP_HEX + " unicast 32fa092ac628"), handler.take());
    }

    @Test
    void shouldSendOnAStaleEntryAndDelayItWhenThePacketReachesTheSlowPath()
    {
        staleAtZero();

        assertEquals(NeighbourResolver.RESOLVED, resolver.resolve(PORT, IP, 1001, 2 * S));

        assertEquals(DELAY, state());
        assertEquals(List.of("transmit 1001 port 1 to 32fa092ac628"), handler.take());
    }

    // ------------------------------------------------------------------------------------------------------
    // neigh_update: override, weak override, same address
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldIgnoreADifferentAddressWithoutOverride()
    {
        reachableAtZero();

        assertFalse(resolver.update(slot(), MAC2, STALE, 0, S));

        assertEquals(REACHABLE, state());
        assertEquals(MAC, table.mac(slot()));
    }

    @Test
    void shouldOnlyMakeAConnectedEntryStaleOnAWeakOverride()
    {
        reachableAtZero();

        assertTrue(resolver.update(slot(), MAC2, REACHABLE, F_WEAK_OVERRIDE, S));

        assertEquals(STALE, state(), "RFC 4861 7.2.5: O clear and a different address");
        assertEquals(MAC, table.mac(slot()), "the cached address stays");
    }

    @Test
    void shouldReplaceTheAddressOnOverride()
    {
        reachableAtZero();

        assertTrue(resolver.update(slot(), MAC2, STALE, F_OVERRIDE, S));

        assertEquals(STALE, state());
        assertEquals(MAC2, table.lookupMac(PORT, IP));
    }

    @Test
    void shouldNotDowngradeAValidEntryForTheSameAddress()
    {
        reachableAtZero();

        assertTrue(resolver.update(slot(), MAC, STALE, F_OVERRIDE, S));

        assertEquals(REACHABLE, state(), "a request from a known host does not make it stale");
    }

    @Test
    void shouldNeverChangeConfiguredEntriesFromTheWireNorByTime()
    {
        assertTrue(resolver.addPermanent(PORT, IP, MAC, 0));
        assertTrue(resolver.addNoArp(PORT, IP + 1, 0xFFFF_FFFF_FFFFL, 0));

        assertFalse(resolver.update(table.find(PORT, IP), MAC2, REACHABLE, F_OVERRIDE, S));
        assertFalse(resolver.update(table.find(PORT, IP + 1), MAC2, REACHABLE, F_OVERRIDE, S));
        resolver.doWork(3600 * S);
        resolver.expire(3600 * S, table.slotCount());

        assertEquals(PERMANENT, state());
        assertEquals(NOARP, table.state(table.find(PORT, IP + 1)));
        assertEquals(MAC, table.lookupMac(PORT, IP));
        assertTrue(resolver.addPermanent(PORT, IP, MAC2, 3600 * S), "configuration may change it");
        assertEquals(MAC2, table.lookupMac(PORT, IP));
    }

    @Test
    void shouldReleaseQueuedPacketsWhenAPermanentEntryIsConfigured()
    {
        resolver.resolve(PORT, IP, 1001, 0);
        handler.take();

        resolver.addPermanent(PORT, IP, MAC, 500 * MS);

        assertEquals(List.of("transmit 1001 port 1 to 32fa092ac628"), handler.take());
        resolver.doWork(S);
        assertEquals(List.of(), handler.take(), "the INCOMPLETE timer is gone");
    }

    @Test
    void shouldResolveMulticastAndBroadcastWithoutAsking()
    {
        assertEquals(NeighbourResolver.RESOLVED, resolver.resolve(PORT, 0xE000_00FB, 1, 0));
        assertEquals(NeighbourResolver.RESOLVED, resolver.resolve(PORT, 0xFFFF_FFFF, 2, 0));
        assertEquals(NeighbourResolver.RESOLVED, resolver.resolve6(PORT, 0xFF02_0000_0000_0000L, 0x1_FF00_0002L, 3, 0));

        assertEquals(List.of(
            "transmit 1 port 1 to 1005e0000fb",
            "transmit 2 port 1 to ffffffffffff",
            "transmit 3 port 1 to 3333ff000002"), handler.take());
        assertEquals(NOARP, table.state(table.find(PORT, 0xE000_00FB)));
        assertEquals(0x3333_ff00_0002L, table.lookupMac6(PORT, 0xFF02_0000_0000_0000L, 0x1_FF00_0002L));
    }

    @Test
    void shouldResolveIpv6NeighboursWithTheSameMachine()
    {
        final long hi = 0x2001_0db8_0000_0000L;
        assertEquals(NeighbourResolver.SOLICITED, resolver.resolve6(PORT, hi, 2, 1001, 0));
        assertEquals(List.of("solicit 20010db800000000:2 multicast"), handler.take());

        resolver.update(table.find6(PORT, hi, 2), MAC, REACHABLE, F_OVERRIDE, 10 * MS);

        assertEquals(List.of("transmit 1001 port 1 to 32fa092ac628"), handler.take());
        assertEquals(MAC, table.lookupMac6(PORT, hi, 2));
    }

    // ------------------------------------------------------------------------------------------------------
    // Room and collection
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldDropThePacketWhenTheTableIsFull()
    {
        try (NeighbourTable small = new NeighbourTable(2, 3))
        {
            final NeighbourResolver tiny = new NeighbourResolver(small, NeighbourParams.linuxDefaults(), new FixedRandom(0.5), handler);
            tiny.resolve(PORT, IP, 1, 0);
            tiny.resolve(PORT, IP + 1, 2, 0);
            handler.take();

            assertEquals(NeighbourResolver.DROPPED, tiny.resolve(PORT, IP + 2, 3, 0));

            assertEquals(List.of("drop 3 table-full"), handler.take());
            assertEquals(1, tiny.tableFulls());
        }
    }

    @Test
    void shouldCollectEntriesIdleBeyondTheStaleTimeAFewSlotsPerCall()
    {
        for (int i = 0; i < 10; i++)
        {
            final int slot = resolver.lookup(PORT, IP + i, true, 0);
            resolver.update(slot, MAC + i, STALE, F_OVERRIDE, 0);
        }
        resolver.addPermanent(PORT, IP + 100, MAC, 0);

        assertEquals(0, resolver.expire(59 * S, table.slotCount()));
        assertEquals(11, table.size());

        int removed = 0;
        final int budget = 8;
        for (int call = 0; call < table.slotCount() / budget; call++)
        {
            final int now = resolver.expire(60 * S, budget);
            assertTrue(now <= budget, "never more than the budget");
            removed += now;
        }
        assertEquals(10, removed);
        assertEquals(1, table.size(), "the permanent entry stays");
        assertEquals(10, resolver.destroys());
    }

    @Test
    void shouldProbeRatherThanCollectAStaleEntryAWorkerUses()
    {
        staleAtZero();
        resolver.doWork(0);

        assertEquals(MAC, table.lookupMac(PORT, IP));
        assertEquals(0, resolver.expire(60 * S, table.slotCount()));

        assertEquals(DELAY, state());
    }

    @Test
    void shouldCollectAnIdleMulticastEntryItCreatedItself()
    {
        resolver.resolve(PORT, 0xE000_00FB, 1, 0);

        assertEquals(1, resolver.expire(60 * S, table.slotCount()));
        assertEquals(NO_SLOT, table.find(PORT, 0xE000_00FB));
    }

    @Test
    void shouldCollectFailedEntriesAtOnceButNotWhileResolving()
    {
        resolver.resolve(PORT, IP, PendingQueue.NO_PACKET, 0);
        assertEquals(0, resolver.expire(S, table.slotCount()), "INCOMPLETE runs a timer");
        for (long t = S; t <= 3 * S; t += S)
        {
            resolver.doWork(t);
        }
        assertEquals(FAILED, state());
        assertEquals(1, resolver.expire(3 * S, table.slotCount()));
        assertEquals(NO_SLOT, table.find(PORT, IP));
    }

    @Test
    void shouldCollectNothingBelowGcThresh1()
    {
        resolver = new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new FixedRandom(0.5), handler);
        staleAtZero();

        assertEquals(0, resolver.expire(3600 * S, table.slotCount()));
        assertEquals(1, table.size());
    }

    @Test
    void shouldDropQueuedPacketsOfARemovedNeighbour()
    {
        resolver.resolve(PORT, IP, 1001, 0);
        handler.take();

        assertTrue(resolver.remove(PORT, IP));

        assertEquals(List.of("drop 1001 removed"), handler.take());
        assertEquals(NO_SLOT, table.find(PORT, IP));
        resolver.doWork(S);
        assertEquals(List.of(), handler.take(), "its timer went with it");
    }

    // ------------------------------------------------------------------------------------------------------

    private void reachableAtZero()
    {
        final int slot = resolver.lookup(PORT, IP, true, 0);
        assertTrue(resolver.update(slot, MAC, REACHABLE, F_OVERRIDE, 0));
        handler.take();
    }

    private void staleAtZero()
    {
        final int slot = resolver.lookup(PORT, IP, true, 0);
        assertTrue(resolver.update(slot, MAC, STALE, F_OVERRIDE, 0));
        handler.take();
    }

    private int slot()
    {
        return table.find(PORT, IP);
    }

    private int state()
    {
        return table.state(slot());
    }

    /** Draws {@code fraction} of the bound, always: 0 gives 0.5 times the base reachable time, 0.5 the base. */
    private record FixedRandom(double fraction) implements RandomGenerator
    {
        @Override
        public long nextLong()
        {
            return 0L;
        }

        @Override
        public long nextLong(final long bound)
        {
            return Math.min(bound - 1, (long)(bound * fraction));
        }
    }
}
