package io.flowgate.conntrack;

/**
 * One worker's connection table: a slab of {@link CtRecord}s with a free list, an IPv6 address-block slab,
 * and an open-addressed index in which every confirmed connection is found under both its original and its
 * reply tuple (index entry = record index and direction).
 * <p>
 * Usage: the owning worker creates entries with {@link #allocate} (unconfirmed: not in the index, invisible to
 * readers and lookups), fills the protocol state, and {@link #confirm}s them when the packet leaves the hooks;
 * an entry whose packet was dropped is {@link #release}d. {@link #lookup} finds confirmed, unexpired entries;
 * {@link #delete} unlinks and retires one. {@link #poll} does the bounded housekeeping (index migration, epoch
 * advance and reclamation, the expiry sweep) and is called once per worker poll.
 * <p>
 * Thread-safety: single writer, the owning worker, for every method except {@link #reader()} and the
 * {@link Reader}'s methods, which other threads call (listing, statistics, offload sync). Readers run
 * lock-free under epoch protection: a deleted record or a replaced index is reused or freed only after every
 * reader has left the epoch in which it was still reachable.
 * <p>
 * Shutdown: {@link #close()} after the worker and every reader have stopped.
 */
public final class ConntrackTable implements AutoCloseable
{
    /** Off-heap memory for the table: zeroed blocks, 64-byte aligned (2 MiB aligned and on huge pages where the allocator can). */
    public interface Memory
    {
        long allocate(long bytes);

        void free(long address, long bytes);
    }

    /** Told about every confirmed entry the table removes by itself (expiry on lookup or sweep, early drop), before it is retired. */
    public interface Listener
    {
        /** {@code reason}: one of {@link #REMOVED_EXPIRED}, {@link #REMOVED_EARLY_DROP}, {@link #REMOVED_DELETED}. */
        void removed(int index, long record, int reason);
    }

    public static final int REMOVED_EXPIRED = 1;
    public static final int REMOVED_EARLY_DROP = 2;
    public static final int REMOVED_DELETED = 3;

    /** Returned by {@link #lookup} when nothing matches, by {@link #allocate} when there is no room. */
    public static final int NONE = -1;

    public ConntrackTable(final Config config, final Memory memory, final Listener listener, final CtStats stats)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Sizing and behaviour; immutable once the table is built. */
    public record Config(
        /** Maximum connections (records); Linux's nf_conntrack_max per worker. */
        int capacity,
        /** Maximum concurrent IPv6 connections (address blocks). */
        int capacity6,
        /** Connections the first index is sized for; the index grows online up to {@code capacity}. */
        int initialCapacity,
        /** Reader slots (threads that may read concurrently). */
        int maxReaders,
        /** Seed of the tuple hash (random per process: hash flooding). */
        long hashSeed)
    {
    }

    // ---- owner thread ----

    /** Address of record {@code index}. */
    public long record(final int index)
    {
        throw new UnsupportedOperationException();
    }

    /**
     * The confirmed entry with tuple {@code key} in either direction: {@code index << 1 | direction}, or
     * {@link #NONE}. An entry whose deadline has passed at {@code nowMs} is never returned: the lookup removes
     * it (listener told, {@link #REMOVED_EXPIRED}) and goes on.
     */
    public int lookup(final CtKey key, final int nowMs)
    {
        throw new UnsupportedOperationException();
    }

    /**
     * A new unconfirmed record with {@code original} and {@code reply} as its tuples, family, protocol, zone and
     * start time ({@code unixSeconds}) written, status 0, counters and protocol area zero, deadline {@code nowMs}.
     * When the table holds more than 95% of its capacity, first evicts one unassured entry near the new tuple's
     * hash (Linux's early_drop; counted). Returns the record index or {@link #NONE} when there is still no room
     * (the caller counts insert_failed and drop).
     */
    public int allocate(final CtKey original, final CtKey reply, final int nowMs, final long unixSeconds)
    {
        throw new UnsupportedOperationException();
    }

    /**
     * Inserts an unconfirmed record under both its tuples and sets CONFIRMED. Returns false, changing nothing,
     * when either tuple is already in the index (a clash: the caller decides).
     */
    public boolean confirm(final int index)
    {
        throw new UnsupportedOperationException();
    }

    /** Frees an unconfirmed record at once (no reader can have seen it). */
    public void release(final int index)
    {
        throw new UnsupportedOperationException();
    }

    /** Unlinks a confirmed record from the index, sets DYING, and retires it (listener told, {@link #REMOVED_DELETED}). */
    public void delete(final int index)
    {
        throw new UnsupportedOperationException();
    }

    /** Rewrites the reply tuple of an unconfirmed record (NAT decides it before confirmation). */
    public void replyTuple(final int index, final CtKey reply)
    {
        throw new UnsupportedOperationException();
    }

    /** Reads direction {@code dir}'s tuple of a record into {@code out}. */
    public CtKey tuple(final int index, final int dir, final CtKey out)
    {
        throw new UnsupportedOperationException();
    }

    /** Bounded housekeeping for one poll: migration step, epoch advance, reclamation, expiry sweep. Returns work done. */
    public int poll(final int nowMs)
    {
        throw new UnsupportedOperationException();
    }

    /** Confirmed entries in the table. */
    public int size()
    {
        throw new UnsupportedOperationException();
    }

    public int capacity()
    {
        throw new UnsupportedOperationException();
    }

    /** Bytes of table memory (records, IPv6 blocks, index) per connection at full capacity. */
    public double bytesPerConnection()
    {
        throw new UnsupportedOperationException();
    }

    /** Registers a reader slot (control plane; allocates). */
    public Reader reader()
    {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close()
    {
        throw new UnsupportedOperationException();
    }

    /**
     * A reader on another thread. Between {@link #enter()} and {@link #exit()} every record and index it can
     * reach stays valid memory; {@link #snapshot} copies a record without tearing.
     */
    public interface Reader extends AutoCloseable
    {
        void enter();

        void exit();

        /** Like {@link ConntrackTable#lookup} but read-only: {@code index << 1 | direction} or {@link #NONE}; restarts (counted) when the index moves under it. */
        int lookup(CtKey key);

        /** Copies record {@code index} into {@code out} if it is a confirmed, live entry; false otherwise. {@code nowMs} computes the remaining timeout. */
        boolean snapshot(int index, int nowMs, CtEntry out);

        /** One past the highest record index ever used: iterate [0, limit) for a listing. */
        int limit();

        @Override
        void close();
    }
}
