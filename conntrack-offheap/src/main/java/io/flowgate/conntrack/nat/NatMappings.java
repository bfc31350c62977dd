package io.flowgate.conntrack.nat;

import org.agrona.collections.Long2LongHashMap;

/**
 * A worker's source mappings: inside (protocol, address, port) to mapped (address, port), with the number of
 * connections using each. Linux keeps its {@code nf_nat_bysource} hash of connections for the same purpose
 * (endpoint-independent mapping, RFC 4787 REQ-1); a mapping per source plus a reference count gives the same
 * answer with one probe, and the reverse index (mapped to inside) serves endpoint-independent filtering and
 * hairpinning.
 * <p>
 * Primitive open-addressing maps and parallel arrays sized once at start: no allocation while the number of
 * mappings stays within the capacity (beyond it, a new mapping is simply not remembered).
 * <p>
 * Thread-safety: the owning worker only.
 */
public final class NatMappings
{
    public static final int NONE = -1;

    private final Long2LongHashMap bySource;
    private final Long2LongHashMap byMapping;
    private final long[] sourceKey;
    private final long[] mappedKey;
    private final int[] refs;
    private final int[] freeList;
    private int free;

    public NatMappings(final int capacity)
    {
        bySource = new Long2LongHashMap(capacity * 2, 0.65f, NONE);
        byMapping = new Long2LongHashMap(capacity * 2, 0.65f, NONE);
        sourceKey = new long[capacity];
        mappedKey = new long[capacity];
        refs = new int[capacity];
        freeList = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            freeList[i] = capacity - 1 - i;
        }
        free = capacity;
    }

    /** The key of an endpoint: protocol, IPv4 address, port (ICMP: identifier). */
    public static long key(final int protocol, final int address, final int port)
    {
        return (long)protocol << 48 | (long)port << 32 | (address & 0xFFFF_FFFFL);
    }

    public static int address(final long key)
    {
        return (int)key;
    }

    public static int port(final long key)
    {
        return (int)(key >>> 32) & 0xFFFF;
    }

    /** The mapping of source {@code source} (a {@link #key}): the mapped endpoint's key, or {@link #NONE}. */
    public long mappedOf(final long source)
    {
        final long slot = bySource.get(source);
        return slot == NONE ? NONE : mappedKey[(int)slot];
    }

    /** The inside endpoint mapped to {@code mapped} (a {@link #key}), or {@link #NONE}. */
    public long sourceOf(final long mapped)
    {
        final long slot = byMapping.get(mapped);
        return slot == NONE ? NONE : sourceKey[(int)slot];
    }

    /**
     * One more connection uses source {@code source} mapped to {@code mapped}. Returns false when the mapping was
     * not recorded (the source already has another mapping, or the table is full): the connection holds no reference.
     */
    public boolean acquire(final long source, final long mapped)
    {
        final long slot = bySource.get(source);
        if (slot != NONE)
        {
            if (mappedKey[(int)slot] != mapped)
            {
                return false;
            }
            refs[(int)slot]++;
            return true;
        }
        if (free == 0 || byMapping.get(mapped) != NONE)
        {
            return false;
        }
        final int s = freeList[--free];
        sourceKey[s] = source;
        mappedKey[s] = mapped;
        refs[s] = 1;
        bySource.put(source, s);
        byMapping.put(mapped, s);
        return true;
    }

    /** A connection that held a reference to {@code source}'s mapping ended; the mapping goes with its last one. */
    public void release(final long source)
    {
        final long slot = bySource.get(source);
        if (slot == NONE)
        {
            return;
        }
        final int s = (int)slot;
        if (--refs[s] == 0)
        {
            bySource.remove(source);
            byMapping.remove(mappedKey[s]);
            freeList[free++] = s;
        }
    }

    /** Live mappings. */
    public int size()
    {
        return bySource.size();
    }
}
