package io.flowgate.pipeline.router;

/**
 * A fixed set of IPv6 addresses (the box's own, and the multicast groups it listens to), for the worker's
 * "is it for me?" test: open addressing over {@code hi}/{@code lo} pairs, linear probing, filled before the
 * workers start and read-only afterwards. {@link #contains} allocates nothing.
 * <p>
 * Thread-safety: built on one thread, then published to the workers by starting them (happens-before of
 * {@code Thread.start}); never written again.
 */
public final class Ipv6AddressSet
{
    private final long[] hi;
    private final long[] lo;
    private final boolean[] used;
    private final int mask;
    private int size;

    /** Room for {@code maxAddresses} addresses at a load factor of at most 1/4. */
    public Ipv6AddressSet(final int maxAddresses)
    {
        final int slots = Integer.highestOneBit(Math.max(4, maxAddresses * 4 - 1)) << 1;
        this.hi = new long[slots];
        this.lo = new long[slots];
        this.used = new boolean[slots];
        this.mask = slots - 1;
    }

    /** Adds {@code hi:lo}; false when it was there already. */
    public boolean add(final long addressHi, final long addressLo)
    {
        if (size * 2 >= used.length)
        {
            throw new IllegalStateException("IPv6 address set full (" + size + " addresses)");
        }
        int slot = slot(addressHi, addressLo);
        while (used[slot])
        {
            if (hi[slot] == addressHi && lo[slot] == addressLo)
            {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        used[slot] = true;
        hi[slot] = addressHi;
        lo[slot] = addressLo;
        size++;
        return true;
    }

    public boolean contains(final long addressHi, final long addressLo)
    {
        int slot = slot(addressHi, addressLo);
        while (used[slot])
        {
            if (hi[slot] == addressHi && lo[slot] == addressLo)
            {
                return true;
            }
            slot = (slot + 1) & mask;
        }
        return false;
    }

    public int size()
    {
        return size;
    }

    private int slot(final long addressHi, final long addressLo)
    {
        long h = addressHi * 0x9E37_79B9_7F4A_7C15L ^ addressLo;
        h ^= h >>> 33;
        h *= 0xFF51_AFD7_ED55_8CCDL;
        h ^= h >>> 33;
        return (int)h & mask;
    }
}
