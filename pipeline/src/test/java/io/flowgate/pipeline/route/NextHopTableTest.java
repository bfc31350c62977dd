package io.flowgate.pipeline.route;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.route.Ipv4LpmTest.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NextHopTableTest
{
    private final NextHopTable table = new NextHopTable(64, 8);

    @Test
    void shouldDescribeNextHopsByGatewayAndPort()
    {
        final int connected = table.ipv4(0, 3);
        final int viaGateway = table.ipv4(ip(192, 0, 2, 1), 4);
        final int viaIpv6 = table.ipv6(0xFE80_0000_0000_0000L, 1, 5);

        assertTrue(table.isConnected(connected));
        assertEquals(3, table.port(connected));
        assertFalse(table.isConnected(viaGateway));
        assertEquals(ip(192, 0, 2, 1), table.gatewayIpv4(viaGateway));
        assertEquals(4, table.port(viaGateway));
        assertTrue(table.isIpv6(viaIpv6));
        assertEquals(0xFE80_0000_0000_0000L, table.gatewayIpv6Hi(viaIpv6));
        assertEquals(1, table.gatewayIpv6Lo(viaIpv6));
        assertEquals(5, table.port(viaIpv6));
    }

    @Test
    void shouldSelectANextHopItselfAndLeaveAMissAMiss()
    {
        final int nextHop = table.ipv4(ip(192, 0, 2, 1), 1);

        assertEquals(nextHop, table.select(nextHop, 12345));
        assertEquals(-1, table.select(-1, 12345));
    }

    @Test
    void shouldShareEqualNextHopsAndGroupsWhateverTheMemberOrder()
    {
        final int a = table.ipv4(ip(192, 0, 2, 1), 1);
        final int b = table.ipv4(ip(192, 0, 2, 2), 1);
        assertEquals(a, table.ipv4(ip(192, 0, 2, 1), 1));
        assertNotEquals(a, table.ipv4(ip(192, 0, 2, 1), 2), "another port is another next hop");

        final int ab = table.group(a, b);
        final int ba = table.group(table.ipv4(ip(192, 0, 2, 2), 1), table.ipv4(ip(192, 0, 2, 1), 1));

        assertEquals(ab, ba);
        assertEquals(1, table.groupsInUse());
        assertArrayEquals(new int[]{Math.min(a, b), Math.max(a, b)}, table.members(ab));
        for (int hash = 0; hash < 1000; hash++)
        {
            assertEquals(table.select(ab, hash), table.select(ba, hash));
        }
    }

    @Test
    void shouldPickTheSameMemberForTheSameHash()
    {
        final int group = groupOf(5);
        final Random random = new Random(5);

        for (int i = 0; i < 10_000; i++)
        {
            final int hash = random.nextInt();
            final int chosen = table.select(group, hash);
            assertEquals(chosen, table.select(group, hash));
            assertTrue(contains(table.members(group), chosen));
        }
    }

    @Test
    void shouldSpreadFlowsEvenlyOverEveryMember()
    {
        final int group = groupOf(NextHopTable.MAX_GROUP_SIZE);
        final int[] members = table.members(group);
        final int[] counts = new int[64];
        final Random random = new Random(16);
        final int flows = 160_000;

        for (int i = 0; i < flows; i++)
        {
            counts[table.select(group, random.nextInt())]++;
        }

        final int expected = flows / members.length;
        for (final int member : members)
        {
            assertTrue(Math.abs(counts[member] - expected) < expected / 10, "member " + member + ": " + counts[member]);
        }
    }

    @Test
    void shouldSpreadTheFlowsOfOneDispatcherWorkerOverEveryMember()
    {
        // SoftwareDispatcher.workerOf takes the high bits of the hash: every flow of worker 0 of 2 has bit 31 clear.
        final int group = groupOf(2);
        final int[] members = table.members(group);
        final int[] counts = new int[64];
        final Random random = new Random(2);

        for (int i = 0; i < 20_000; i++)
        {
            counts[table.select(group, random.nextInt() >>> 1)]++;
        }

        assertTrue(Math.abs(counts[members[0]] - counts[members[1]]) < 1000, counts[members[0]] + " vs " + counts[members[1]]);
    }

    @Test
    void shouldPickTheSameMemberForBothDirectionsOfAFlowGivenASymmetricHash()
    {
        final int group = groupOf(7);
        final Random random = new Random(7);

        for (int i = 0; i < 10_000; i++)
        {
            final int a = random.nextInt();
            final int b = random.nextInt();
            final int portA = random.nextInt(65536);
            final int portB = random.nextInt(65536);

            assertEquals(
                table.select(group, symmetricHash(a, portA, b, portB)),
                table.select(group, symmetricHash(b, portB, a, portA)));
        }
    }

    @Test
    void shouldSelectABurstLikeSingleSelects()
    {
        final int group = groupOf(3);
        final int single = table.ipv4(ip(198, 51, 100, 1), 9);
        final int[] ids = {group, single, -1, group, group};
        final int[] hashes = {1, 2, 3, 0x7FFF_FFFF, -5};
        final int[] nextHops = new int[ids.length];

        table.selectBurst(ids, hashes, nextHops, ids.length);

        for (int i = 0; i < ids.length; i++)
        {
            assertEquals(table.select(ids[i], hashes[i]), nextHops[i]);
        }
    }

    @Test
    void shouldRetireReleasedIdsUntilReclaim()
    {
        final NextHopTable small = new NextHopTable(2, 1);
        final int a = small.ipv4(ip(192, 0, 2, 1), 1);
        final int b = small.ipv4(ip(192, 0, 2, 2), 1);
        final int group = small.group(a, b);

        small.release(group);

        assertEquals(0, small.groupsInUse());
        assertEquals(0, small.nextHopsInUse(), "the group held the only references to its members");
        assertThrows(IllegalStateException.class, () -> small.ipv4(ip(192, 0, 2, 3), 1));
        assertEquals(3, small.reclaim());
        small.ipv4(ip(192, 0, 2, 3), 1);
    }

    @Test
    void shouldRejectGroupsOfDeadOrTooManyMembers()
    {
        final int a = table.ipv4(ip(192, 0, 2, 1), 1);

        assertThrows(IllegalArgumentException.class, () -> table.group(a, 63));
        assertThrows(IllegalArgumentException.class, () -> table.group(new int[NextHopTable.MAX_GROUP_SIZE + 1]));
        assertEquals(a, table.group(a), "one member is no group");
    }

    private int groupOf(final int size)
    {
        final int[] members = new int[size];
        for (int i = 0; i < size; i++)
        {
            members[i] = table.ipv4(ip(192, 0, 2, 1 + i), i);
        }
        return table.group(members);
    }

    private static boolean contains(final int[] values, final int value)
    {
        for (final int v : values)
        {
            if (v == value)
            {
                return true;
            }
        }
        return false;
    }

    /** Order-independent in the two endpoints, as the pipeline's symmetric flow hash is. */
    private static int symmetricHash(final int addressA, final int portA, final int addressB, final int portB)
    {
        final long a = (long)addressA << 16 | portA;
        final long b = (long)addressB << 16 | portB;
        long h = Math.min(a, b) * 0x9E3779B97F4A7C15L ^ Math.max(a, b);
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return (int)(h ^ h >>> 32);
    }
}
