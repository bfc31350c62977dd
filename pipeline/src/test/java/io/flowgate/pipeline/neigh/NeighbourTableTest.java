package io.flowgate.pipeline.neigh;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.neigh.NeighbourTable.NO_MAC;
import static io.flowgate.pipeline.neigh.NeighbourTable.NO_SLOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighbourTableTest
{
    private static final int IP = 0xC000_0202;
    private static final long MAC = 0x32fa_092a_c628L;
    private static final long V6_HI = 0x2001_0db8_0000_0000L;

    private final NeighbourTable table = new NeighbourTable(64, 42);

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void shouldSizeSlotsToAtLeastTwiceTheEntries()
    {
        try (NeighbourTable big = new NeighbourTable(1000, 1))
        {
            assertEquals(2048, big.slotCount());
        }
        assertEquals(128, table.slotCount());
    }

    @Test
    void shouldMissWhenAbsent()
    {
        assertEquals(NO_MAC, table.lookupMac(0, IP));
        assertEquals(NO_MAC, table.lookupMac6(0, V6_HI, 2));
        assertEquals(NO_SLOT, table.find(0, IP));
    }

    @Test
    void shouldReturnTheMacOnlyInUsableStates()
    {
        final int slot = table.insert(0, IP, NeighbourState.INCOMPLETE, 0L);
        assertEquals(NO_MAC, table.lookupMac(0, IP), "INCOMPLETE");
        for (final int state : new int[]{
            NeighbourState.REACHABLE, NeighbourState.STALE, NeighbourState.DELAY, NeighbourState.PROBE,
            NeighbourState.PERMANENT, NeighbourState.NOARP})
        {
            table.update(slot, state, MAC);
            assertEquals(MAC, table.lookupMac(0, IP), NeighbourState.name(state));
        }
        table.update(slot, NeighbourState.FAILED, MAC);
        assertEquals(NO_MAC, table.lookupMac(0, IP), "FAILED keeps its old MAC but does not hand it out");
        table.update(slot, NeighbourState.NONE, MAC);
        assertEquals(NO_MAC, table.lookupMac(0, IP), "NONE");
    }

    @Test
    void shouldMarkAUsableEntryUsedOnceUntilTheWriterTakesTheMark()
    {
        final int slot = table.insert(0, IP, NeighbourState.STALE, MAC);
        assertFalse(table.takeUsed(slot));
        table.lookupMac(0, IP);
        table.lookupMac(0, IP);
        assertTrue(table.takeUsed(slot));
        assertFalse(table.takeUsed(slot), "taking clears the mark");

        table.update(slot, NeighbourState.INCOMPLETE, 0L);
        table.lookupMac(0, IP);
        assertFalse(table.takeUsed(slot), "a miss is not a use");

        table.update(slot, NeighbourState.PERMANENT, MAC);
        table.lookupMac(0, IP);
        assertFalse(table.takeUsed(slot), "nothing to learn from using a permanent entry");
    }

    @Test
    void shouldKeepPortsAndFamiliesApart()
    {
        table.insert(0, IP, NeighbourState.REACHABLE, 0x0000_0000_0001L);
        table.insert(1, IP, NeighbourState.REACHABLE, 0x0000_0000_0002L);
        table.insert6(0, 0L, IP & 0xFFFF_FFFFL, NeighbourState.REACHABLE, 0x0000_0000_0003L);
        table.insert6(0, V6_HI, 2, NeighbourState.REACHABLE, 0x0000_0000_0004L);
        table.insert6(2, V6_HI, 2, NeighbourState.REACHABLE, 0x0000_0000_0005L);

        assertEquals(1L, table.lookupMac(0, IP));
        assertEquals(2L, table.lookupMac(1, IP));
        assertEquals(3L, table.lookupMac6(0, 0L, IP & 0xFFFF_FFFFL), "an IPv4 key is not an IPv6 key with the same bits");
        assertEquals(4L, table.lookupMac6(0, V6_HI, 2));
        assertEquals(5L, table.lookupMac6(2, V6_HI, 2));
        assertEquals(NO_MAC, table.lookupMac6(1, V6_HI, 2));
        assertEquals(NO_MAC, table.lookupMac6(0, V6_HI, 3));
        assertEquals(5, table.size());

        final int slot = table.find6(2, V6_HI, 2);
        assertEquals(NeighbourTable.FAMILY_IPV6, table.family(slot));
        assertEquals(2, table.port(slot));
        assertEquals(V6_HI, table.ipv6Hi(slot));
        assertEquals(2L, table.ipv6Lo(slot));
        final int v4 = table.find(1, IP);
        assertEquals(NeighbourTable.FAMILY_IPV4, table.family(v4));
        assertEquals(IP, table.ipv4(v4));
    }

    @Test
    void shouldRefuseMoreThanMaxEntries()
    {
        try (NeighbourTable small = new NeighbourTable(4, 7))
        {
            for (int i = 0; i < 4; i++)
            {
                assertNotEquals(NO_SLOT, small.insert(0, i + 1, NeighbourState.STALE, i + 1));
            }
            assertEquals(NO_SLOT, small.insert(0, 99, NeighbourState.STALE, 99));
            small.remove(small.find(0, 2));
            assertNotEquals(NO_SLOT, small.insert(0, 99, NeighbourState.STALE, 99));
            assertEquals(99L, small.lookupMac(0, 99));
        }
    }

    @Test
    void shouldAgreeWithAMapThroughInsertsAndRemovals()
    {
        final SplittableRandom random = new SplittableRandom(2026);
        final Map<Integer, Long> model = new HashMap<>();
        final Map<Integer, Integer> slotOf = new HashMap<>();
        for (int op = 0; op < 50_000; op++)
        {
            final int ip = random.nextInt(200);
            final Integer slot = slotOf.get(ip);
            if (slot == null && model.size() < table.maxEntries())
            {
                final long mac = random.nextLong() & 0xFEFF_FFFF_FFFFL;
                final int inserted = table.insert(0, ip, NeighbourState.REACHABLE, mac);
                assertNotEquals(NO_SLOT, inserted, "room in the probe window at op " + op);
                model.put(ip, mac);
                slotOf.put(ip, inserted);
            }
            else if (slot != null)
            {
                table.remove(slot);
                model.remove(ip);
                slotOf.remove(ip);
            }
            if (op % 97 == 0)
            {
                for (int key = 0; key < 200; key++)
                {
                    assertEquals(model.getOrDefault(key, NO_MAC), table.lookupMac(0, key), "key " + key + " at op " + op);
                }
            }
        }
        assertEquals(model.size(), table.size());
    }

    @Test
    void shouldLeaveNoTombstoneOnceEverythingIsRemoved()
    {
        final List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < 64; i++)
        {
            slots.add(table.insert(0, 0x0A00_0000 + i, NeighbourState.STALE, i));
        }
        Collections.shuffle(slots, new java.util.Random(5));
        for (final int slot : slots)
        {
            table.remove(slot);
        }
        assertEquals(0, table.size());
        assertEquals(0, table.tombstones());
        for (int slot = 0; slot < table.slotCount(); slot++)
        {
            assertFalse(table.isInUse(slot));
        }
    }

    @Test
    void shouldFillTheDestinationMacOfEveryAcceptedPacketWithANextHop()
    {
        table.insert(1, IP, NeighbourState.REACHABLE, MAC);
        table.insert(2, IP + 1, NeighbourState.INCOMPLETE, 0L);
        try (Arena arena = Arena.ofConfined())
        {
            final PacketBurst burst = new PacketBurst(arena, 8);
            burst.count(5);
            final int[] nextHopIp = new int[8];
            final long[] dstMac = new long[8];
            for (int i = 0; i < 5; i++)
            {
                burst.verdict[i] = Verdict.ACCEPT;
                burst.nextHop[i] = 0;
                burst.outPort[i] = 1;
                nextHopIp[i] = IP;
            }
            burst.outPort[1] = 2;
            nextHopIp[1] = IP + 1;          // unresolved: a miss
            burst.verdict[2] = Verdict.DROP; // skipped
            burst.nextHop[3] = -1;           // no next hop: skipped
            nextHopIp[4] = IP + 7;           // absent: a miss

            assertEquals(2, table.lookupBurst(burst, nextHopIp, dstMac));
            assertEquals(MAC, dstMac[0]);
            assertEquals(NO_MAC, dstMac[1]);
            assertEquals(NO_MAC, dstMac[2]);
            assertEquals(NO_MAC, dstMac[3]);
            assertEquals(NO_MAC, dstMac[4]);
        }
    }
}
