package io.flowgate.pipeline.route;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What a route resolves to: next hops (egress port and gateway) and ECMP groups of up to
 * {@value #MAX_GROUP_SIZE} next hops. The LPM tables store an id from here; {@link #select} turns it into one
 * next hop, for a group by the packet's flow hash, so every packet of a flow leaves through the same member.
 * <p>
 * Ids: a next hop is {@code 0 .. maxNextHops-1}; a group is {@link #GROUP_FLAG} {@code | index}. Both fit the
 * 22-bit next-hop field of {@link Ipv6Lpm} and the 24-bit one of {@link Ipv4Lpm}. A gateway of 0 (IPv4) or
 * {@code ::} (IPv6) means directly connected: the packet's own destination is the neighbour to resolve.
 * <p>
 * Usage (control path): {@link #ipv4}/{@link #ipv6} return the id of a next hop, creating it or counting one
 * more reference to an equal one; {@link #group} the id of a group of such ids, taking over the caller's
 * references to the members; {@link #release} drops a reference. Data path: {@link #select} or
 * {@link #selectBurst}, then {@link #port}, {@link #gatewayIpv4} and so on by next-hop id.
 * <p>
 * Thread-safety: one writer (the route table's), lock-free readers. A next hop or group is written completely
 * before its id is stored in an LPM table, whose release store (W1 in {@link Ipv4Lpm}) makes it visible to a
 * reader that loads the id; after that it never changes. An id whose last reference is released is retired, and
 * becomes reusable only in {@link #reclaim()} at a quiescent point, as tbl8 groups do.
 */
public final class NextHopTable
{
    public static final int GROUP_FLAG = 1 << 21;
    public static final int MAX_NEXT_HOPS = GROUP_FLAG;
    public static final int MAX_GROUPS = GROUP_FLAG;
    public static final int MAX_GROUP_SIZE = 16;

    private static final int GROUP_SHIFT = 4;
    private static final int SELECT_MASK = GROUP_FLAG | Integer.MIN_VALUE;

    private final int maxNextHops;
    private final int maxGroups;

    // Data path: immutable per live id.
    private final int[] port;
    private final boolean[] ipv6;
    private final int[] gateway4;
    private final long[] gateway6Hi;
    private final long[] gateway6Lo;
    private final int[] groupSize;
    private final int[] groupMembers;

    // Control path.
    private final int[] references;
    private final int[] groupReferences;
    private final Map<NextHopKey, Integer> nextHopIds = new HashMap<>();
    private final Map<GroupKey, Integer> groupIds = new HashMap<>();
    private final IndexPool freeNextHops;
    private final IndexPool freeGroups;

    private record NextHopKey(boolean ipv6, long hi, long lo, int port)
    {
    }

    private record GroupKey(int[] members)
    {
        @Override
        public boolean equals(final Object other)
        {
            return other instanceof GroupKey key && Arrays.equals(members, key.members);
        }

        @Override
        public int hashCode()
        {
            return Arrays.hashCode(members);
        }
    }

    public NextHopTable(final int maxNextHops, final int maxGroups)
    {
        if (maxNextHops < 1 || maxNextHops > MAX_NEXT_HOPS || maxGroups < 0 || maxGroups > MAX_GROUPS)
        {
            throw new IllegalArgumentException(
                "need 1.." + MAX_NEXT_HOPS + " next hops and 0.." + MAX_GROUPS + " groups: " + maxNextHops + ", " +
                maxGroups);
        }
        this.maxNextHops = maxNextHops;
        this.maxGroups = maxGroups;
        this.port = new int[maxNextHops];
        this.ipv6 = new boolean[maxNextHops];
        this.gateway4 = new int[maxNextHops];
        this.gateway6Hi = new long[maxNextHops];
        this.gateway6Lo = new long[maxNextHops];
        this.references = new int[maxNextHops];
        this.groupSize = new int[maxGroups];
        this.groupMembers = new int[maxGroups << GROUP_SHIFT];
        this.groupReferences = new int[maxGroups];
        this.freeNextHops = new IndexPool(maxNextHops, "next hops");
        this.freeGroups = new IndexPool(maxGroups, "ECMP groups");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Data path
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The next hop for a packet with {@code flowHash} routed to {@code id}: the id itself for a next hop, one
     * member for a group, and a miss ({@code -1}) stays a miss. The same hash always picks the same member, so
     * with a symmetric flow hash both directions of a flow pick alike.
     * <p>
     * The hash is remixed (murmur3's fmix32) before it is reduced: software dispatch picks the worker from the
     * high bits of the same hash ({@code SoftwareDispatcher.workerOf}), so without the remix every flow of one
     * worker would pick the same members (hash polarisation).
     */
    public int select(final int id, final int flowHash)
    {
        if ((id & SELECT_MASK) != GROUP_FLAG)
        {
            return id;
        }
        final int group = id & ~GROUP_FLAG;
        return groupMembers[(group << GROUP_SHIFT) + member(flowHash, groupSize[group])];
    }

    /** {@link #select} over a burst: {@code nextHops[i] = select(ids[i], flowHashes[i])}; may be in place. */
    public void selectBurst(final int[] ids, final int[] flowHashes, final int[] nextHops, final int count)
    {
        final int[] sizes = groupSize;
        final int[] members = groupMembers;
        for (int i = 0; i < count; i++)
        {
            final int id = ids[i];
            if ((id & SELECT_MASK) != GROUP_FLAG)
            {
                nextHops[i] = id;
            }
            else
            {
                final int group = id & ~GROUP_FLAG;
                nextHops[i] = members[(group << GROUP_SHIFT) + member(flowHashes[i], sizes[group])];
            }
        }
    }

    /** Index {@code 0 .. size-1} of the member a flow hash picks. */
    static int member(final int flowHash, final int size)
    {
        int h = flowHash;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return (int)((Integer.toUnsignedLong(h) * size) >>> 32);
    }

    public int port(final int nextHop)
    {
        return port[nextHop];
    }

    public boolean isIpv6(final int nextHop)
    {
        return ipv6[nextHop];
    }

    /** The IPv4 gateway (host order), 0 when directly connected. */
    public int gatewayIpv4(final int nextHop)
    {
        return gateway4[nextHop];
    }

    public long gatewayIpv6Hi(final int nextHop)
    {
        return gateway6Hi[nextHop];
    }

    public long gatewayIpv6Lo(final int nextHop)
    {
        return gateway6Lo[nextHop];
    }

    public boolean isConnected(final int nextHop)
    {
        return ipv6[nextHop] ? (gateway6Hi[nextHop] | gateway6Lo[nextHop]) == 0 : gateway4[nextHop] == 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Control path (single writer)
    // ---------------------------------------------------------------------------------------------------------

    /** A reference to the next hop via IPv4 {@code gateway} (0: connected) out of {@code egressPort}. */
    public int ipv4(final int gateway, final int egressPort)
    {
        return nextHop(false, Integer.toUnsignedLong(gateway), 0, egressPort);
    }

    /** A reference to the next hop via IPv6 {@code hi:lo} ({@code ::}: connected) out of {@code egressPort}. */
    public int ipv6(final long gatewayHi, final long gatewayLo, final int egressPort)
    {
        return nextHop(true, gatewayHi, gatewayLo, egressPort);
    }

    /**
     * A reference to the group of {@code memberIds} (next-hop ids, 1..16, duplicates allowed to weight a member);
     * takes over one reference to each member from the caller. Members are kept sorted, so a group is the same
     * whatever order its members are listed in. A single member is returned as itself, not as a group.
     */
    public int group(final int... memberIds)
    {
        if (memberIds.length < 1 || memberIds.length > MAX_GROUP_SIZE)
        {
            throw new IllegalArgumentException("an ECMP group has 1.." + MAX_GROUP_SIZE + " members: " + memberIds.length);
        }
        for (final int id : memberIds)
        {
            if (id < 0 || id >= maxNextHops || references[id] == 0)
            {
                throw new IllegalArgumentException("not a live next hop: " + id);
            }
        }
        if (memberIds.length == 1)
        {
            return memberIds[0];
        }

        final int[] members = memberIds.clone();
        Arrays.sort(members);
        final GroupKey key = new GroupKey(members);
        final Integer existing = groupIds.get(key);
        if (existing != null)
        {
            groupReferences[existing & ~GROUP_FLAG]++;
            for (final int member : members)
            {
                release(member); // the group already holds its own reference to each member
            }
            return existing;
        }
        if (freeGroups.free() == 0)
        {
            throw new IllegalStateException("ECMP group table full: " + freeGroups.describe());
        }
        final int group = freeGroups.allocate();
        System.arraycopy(members, 0, groupMembers, group << GROUP_SHIFT, members.length);
        groupSize[group] = members.length;
        groupReferences[group] = 1;
        final int id = GROUP_FLAG | group;
        groupIds.put(key, id);
        return id;
    }

    /** Drops one reference to a next hop or group; the last one retires the id until {@link #reclaim()}. */
    public void release(final int id)
    {
        if ((id & SELECT_MASK) == GROUP_FLAG)
        {
            final int group = id & ~GROUP_FLAG;
            if (groupReferences[group] == 0)
            {
                throw new IllegalArgumentException("not a live group: " + id);
            }
            if (--groupReferences[group] == 0)
            {
                final int base = group << GROUP_SHIFT;
                final int[] members = Arrays.copyOfRange(groupMembers, base, base + groupSize[group]);
                groupIds.remove(new GroupKey(members));
                freeGroups.retire(group);
                for (final int member : members)
                {
                    release(member);
                }
            }
            return;
        }
        if (id < 0 || id >= maxNextHops || references[id] == 0)
        {
            throw new IllegalArgumentException("not a live next hop: " + id);
        }
        if (--references[id] == 0)
        {
            nextHopIds.remove(new NextHopKey(ipv6[id], ipv6[id] ? gateway6Hi[id] : Integer.toUnsignedLong(gateway4[id]),
                gateway6Lo[id], port[id]));
            freeNextHops.retire(id);
        }
    }

    /**
     * Makes retired ids reusable. Call only at a quiescent point: no reader may still hold an id it looked up
     * before the routes using it were deleted.
     *
     * @return the number of ids reclaimed.
     */
    public int reclaim()
    {
        return freeNextHops.reclaim() + freeGroups.reclaim();
    }

    public int nextHopsInUse()
    {
        return nextHopIds.size();
    }

    public int groupsInUse()
    {
        return groupIds.size();
    }

    /** Members of the group {@code id}, or the next hop itself. */
    public int[] members(final int id)
    {
        if ((id & SELECT_MASK) != GROUP_FLAG)
        {
            return new int[]{id};
        }
        final int base = (id & ~GROUP_FLAG) << GROUP_SHIFT;
        return Arrays.copyOfRange(groupMembers, base, base + groupSize[id & ~GROUP_FLAG]);
    }

    private int nextHop(final boolean isIpv6, final long hi, final long lo, final int egressPort)
    {
        if (egressPort < 0)
        {
            throw new IllegalArgumentException("egress port must be >= 0: " + egressPort);
        }
        final NextHopKey key = new NextHopKey(isIpv6, hi, lo, egressPort);
        final Integer existing = nextHopIds.get(key);
        if (existing != null)
        {
            references[existing]++;
            return existing;
        }
        if (freeNextHops.free() == 0)
        {
            throw new IllegalStateException("next-hop table full: " + freeNextHops.describe());
        }
        final int id = freeNextHops.allocate();
        ipv6[id] = isIpv6;
        port[id] = egressPort;
        gateway4[id] = isIpv6 ? 0 : (int)hi;
        gateway6Hi[id] = isIpv6 ? hi : 0;
        gateway6Lo[id] = isIpv6 ? lo : 0;
        references[id] = 1;
        nextHopIds.put(key, id);
        return id;
    }
}
