package io.flowgate.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

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

    /** Old-index groups moved per {@link #poll} while the index grows: 64 groups = 512 slots, tens of microseconds. */
    static final int MIGRATE_GROUPS_PER_POLL = 64;
    /** Old groups whose entries one staged migration batch moves (at most 64 entries). */
    static final int MIGRATE_BATCH_GROUPS = 8;
    /** Groups searched for an unassured victim (Linux's NF_CT_EVICTION_RANGE is 8 buckets). */
    static final int EARLY_DROP_GROUPS = 8;
    /** A probe longer than this many groups counts as chaintoolong (it still succeeds). */
    static final int CHAIN_TOO_LONG_GROUPS = 16;
    static final int GC_MIN_BUDGET = 64;
    static final int GC_MAX_BUDGET = 8192;
    private static final int RETIRED_INDEXES = 64;
    private static final long PAGE_BYTES = 4096;

    private static final VarHandle LIMIT;
    private static final VarHandle INDEX_SEQ;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            LIMIT = lookup.findVarHandle(ConntrackTable.class, "limit", int.class);
            INDEX_SEQ = lookup.findVarHandle(ConntrackTable.class, "indexSeq", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Config config;
    private final Memory memory;
    private final Listener listener;
    private final CtStats stats;
    private final int capacity;
    private final int capacity6;
    private final long seed;
    private final long slab;
    private final long slabBytes;
    private final long v6Slab;
    private final long v6SlabBytes;
    /** Incarnation of each record slot, bumped inside the seqlock when the slot is handed out. */
    private final int[] generations;
    private final EpochReclaimer epochs;
    /** Reader lookups restarted (readers count here; the owner copies it into its stats in poll). */
    private final AtomicLong readerRestarts = new AtomicLong();

    // ---- records: bump allocation up to highWater, then a free list linked through MARK_OFFSET ----
    private int highWater;
    /** highWater as readers see it (release). */
    @SuppressWarnings("unused")
    private int limit;
    private int freeHead = NONE;
    /** Records handed out and not yet back on the free list (unconfirmed, confirmed and retired). */
    private int inUse;
    private int size;
    private int v6HighWater;
    private int v6FreeHead = NONE;

    // ---- retired records: FIFO linked through EXPIRES_OFFSET, retire epoch (low 32 bits) at MARK_OFFSET ----
    private int retiredHead = NONE;
    private int retiredTail = NONE;
    private int retiredCount;
    // ---- retired indexes: a small ring ----
    private final long[] retiredIndexAddress = new long[RETIRED_INDEXES];
    private final long[] retiredIndexBytes = new long[RETIRED_INDEXES];
    private final long[] retiredIndexEpoch = new long[RETIRED_INDEXES];
    private int retiredIndexHead;
    private int retiredIndexCount;

    // ---- the index: readers copy these four under indexSeq ----
    private long curBase;
    private int curGroups;
    private long oldBase;
    private int oldGroups;
    /** Odd while the owner changes the index descriptor or runs a migration step. */
    @SuppressWarnings("unused")
    private int indexSeq;
    private long curBytes;
    private long oldBytes;
    private int curUsed;
    private int curTombstones;
    /** Full slots of the old index at or after the migration cursor (what finishing the migration will add). */
    private int oldPending;
    private int migrateCursor;

    // ---- expiry sweep ----
    private int gcCursor;
    private int gcBudget = 256;

    // ---- the owner's key scratch (one key in flight at a time) ----
    private int kFpz;
    private int kPorts;
    private long kA;
    private long kSh;
    private long kSl;
    private long kDh;
    private long kDl;
    private long kHash;
    private int foundSlot;
    /** Sink of {@link #touchGroup}'s loads (kept so the JIT cannot drop them). */
    private long touchSink;
    private boolean closed;
    private final long[] burstHash = new long[MAX_BURST];
    private final long[] burstTags = new long[MAX_BURST];
    private final long[] burstGroup = new long[MAX_BURST];
    private final int[] burstEntry = new int[MAX_BURST];
    private final int[] migrateEntry = new int[MIGRATE_BATCH_GROUPS * CtIndex.SLOTS];
    private final long[] migrateHash = new long[MIGRATE_BATCH_GROUPS * CtIndex.SLOTS];

    public ConntrackTable(final Config config, final Memory memory, final Listener listener, final CtStats stats)
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new IllegalStateException("the record and index layouts assume a little-endian machine");
        }
        if (config.capacity() < 1 || config.capacity() > (1 << 30) || config.capacity6() < 0 || config.maxReaders() < 1)
        {
            throw new IllegalArgumentException("bad table config " + config);
        }
        this.config = config;
        this.memory = memory;
        this.listener = listener != null ? listener : (index, record, reason) -> {};
        this.stats = stats;
        this.capacity = config.capacity();
        this.capacity6 = config.capacity6();
        this.seed = config.hashSeed();
        this.slabBytes = (long)capacity << CtRecord.SHIFT;
        this.slab = memory.allocate(slabBytes);
        this.v6SlabBytes = Math.max(64L, (long)capacity6 * CtRecord.V6_BLOCK_SIZE);
        this.v6Slab = memory.allocate(v6SlabBytes);
        this.generations = new int[capacity];
        this.epochs = new EpochReclaimer(config.maxReaders());
        final long groups = CtIndex.groups(Math.max(1, Math.min(capacity, config.initialCapacity())));
        this.curBytes = CtIndex.bytes(groups);
        this.curBase = memory.allocate(curBytes);
        this.curGroups = (int)groups;
        INDEX_SEQ.setRelease(this, 0);
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
        return slab + ((long)index << CtRecord.SHIFT);
    }

    /**
     * The confirmed entry with tuple {@code key} in either direction: {@code index << 1 | direction}, or
     * {@link #NONE}. An entry whose deadline has passed at {@code nowMs} is never returned: the lookup removes
     * it (listener told, {@link #REMOVED_EXPIRED}) and goes on.
     */
    public int lookup(final CtKey key, final int nowMs)
    {
        final int entry = live(key, nowMs);
        if (entry != NONE)
        {
            stats.found++;
        }
        return entry;
    }

    /** Whether a live confirmed entry has tuple {@code key} in either direction (NAT's "tuple taken"; not a packet's lookup: not counted as found). */
    public boolean taken(final CtKey key, final int nowMs)
    {
        return live(key, nowMs) != NONE;
    }

    /** {@link #lookup} without the found counter. */
    private int live(final CtKey key, final int nowMs)
    {
        loadKey(key);
        int entry = find(curBase, curGroups, kHash, slab, v6Slab, capacity6, kFpz, kPorts, kA, kSh, kSl, kDh, kDl);
        if (entry == NONE && oldBase != 0)
        {
            entry = find(oldBase, oldGroups, kHash, slab, v6Slab, capacity6, kFpz, kPorts, kA, kSh, kSl, kDh, kDl);
        }
        if (entry == NONE)
        {
            return NONE;
        }
        final int index = entry >>> 1;
        if (CtRecord.isExpired(record(index), nowMs))
        {
            // A tuple is in the index at most once (confirm refuses clashes): nothing else can match.
            stats.expired++;
            remove(index, REMOVED_EXPIRED);
            return NONE;
        }
        return entry;
    }

    /** Largest burst {@link #lookupBurst} takes. */
    public static final int MAX_BURST = 64;

    /**
     * {@link #lookup} of {@code n} keys (at most {@link #MAX_BURST}), results in {@code results[0..n)}, done in
     * stages over the whole burst so that the cache misses of different keys overlap: hash every key and load
     * its group's tags, then load the record of every first tag match, then compare; a key whose first
     * candidate is not a live match (a miss, a tag collision, a longer probe, an expired entry, a migration in
     * progress) takes the one-key path.
     */
    public void lookupBurst(final CtKey[] keys, final int n, final int nowMs, final int[] results)
    {
        final long base = curBase;
        final int groups = curGroups;
        final long seed = this.seed;
        final long[] hashes = burstHash;
        final long[] groupAt = burstGroup;
        final long[] tags = burstTags;
        final int[] entries = burstEntry;
        // The loops that load are kept tiny so that many iterations, and so many cache misses, are in flight at
        // once (a loop body as long as the hash left room for only about four).
        for (int i = 0; i < n; i++)
        {
            final long hash = hashOf(seed, keys[i]);
            hashes[i] = hash;
            groupAt[i] = base + (long)CtIndex.group(hash, groups) * CtIndex.GROUP_SIZE;
        }
        for (int i = 0; i < n; i++)
        {
            final long group = groupAt[i];
            tags[i] = OffHeap.getLong(group);
        }
        for (int i = 0; i < n; i++)
        {
            final long m = CtIndex.matches(tags[i], CtIndex.tag(hashes[i]));
            entries[i] = m == 0 ? NONE : OffHeap.getInt(groupAt[i] + CtIndex.ENTRIES_OFFSET + (CtIndex.slot(m) << 2));
        }
        for (int i = 0; i < n; i++)
        {
            final int entry = entries[i];
            // touch the record now; the compare below finds it in the cache
            tags[i] = entry == NONE ? 0 : OffHeap.getLong(record(entry >>> 1) + CtRecord.EXPIRES_OFFSET);
        }
        for (int i = 0; i < n; i++)
        {
            final int entry = entries[i];
            if (entry != NONE)
            {
                final CtKey key = keys[i];
                final long record = record(entry >>> 1);
                final boolean v6 = key.family == CtRecord.FAMILY_IPV6;
                if (CtIndex.matchesRecord(record, entry & 1, v6Slab, capacity6, CtIndex.fpz(key.family, key.protocol, key.zone),
                    CtIndex.ports(key.srcPort, key.dstPort), v6 ? 0 : CtIndex.addresses4(key.srcLo, key.dstLo),
                    v6 ? key.srcHi : 0, v6 ? key.srcLo : 0, v6 ? key.dstHi : 0, v6 ? key.dstLo : 0) &&
                    !CtRecord.isExpired(record, nowMs) &&
                    // DYING: removed earlier in this burst (the same key twice, its entry expired): the index no
                    // longer holds it, and its expires word may by now be the retire list's link
                    (CtRecord.status(record) & CtStatus.DYING) == 0)
                {
                    stats.found++;
                    results[i] = entry;
                    continue;
                }
            }
            results[i] = lookup(keys[i], nowMs);
        }
    }

    static long hashOf(final long seed, final CtKey key)
    {
        final int fpz = CtIndex.fpz(key.family, key.protocol, key.zone);
        final int ports = CtIndex.ports(key.srcPort, key.dstPort);
        return key.family == CtRecord.FAMILY_IPV6 ? CtIndex.hash6(seed, fpz, ports, key.srcHi, key.srcLo, key.dstHi, key.dstLo) :
            CtIndex.hash4(seed, fpz, ports, CtIndex.addresses4(key.srcLo, key.dstLo));
    }

    /**
     * A new unconfirmed record with {@code original} and {@code reply} as its tuples, family, protocol, zone and
     * start time ({@code unixSeconds}) written, status 0, counters and protocol area zero, deadline {@code nowMs}.
     * When the table holds more than 95% of its capacity, first evicts one unassured entry near the new tuple's
     * hash (Linux's early_drop; counted). Returns the record index or {@link #NONE} when there is still no room
     * (counted here in insert_failed; the caller counts drop).
     */
    public int allocate(final CtKey original, final CtKey reply, final int nowMs, final long unixSeconds)
    {
        if ((long)inUse * 20 > (long)capacity * 19)
        {
            loadKey(original);
            earlyDrop(nowMs);
        }
        int index = takeRecord();
        if (index == NONE)
        {
            reclaim();
            index = takeRecord();
            if (index == NONE)
            {
                stats.insertFailed++;
                return NONE;
            }
        }
        final boolean v6 = original.family == CtRecord.FAMILY_IPV6;
        int block = 0;
        if (v6)
        {
            block = takeBlock();
            if (block == NONE)
            {
                reclaim();
                block = takeBlock();
                if (block == NONE)
                {
                    final long record = record(index);
                    CtRecord.beginWrite(record);
                    OffHeap.putByte(record + CtRecord.FAMILY_OFFSET, 0); // its old block, if any, is not its to free
                    CtRecord.endWrite(record);
                    inUse++;
                    freeRecord(index);
                    stats.insertFailed++;
                    return NONE;
                }
            }
        }
        final long record = record(index);
        CtRecord.beginWrite(record);
        OffHeap.putInt(record + CtRecord.STATUS_OFFSET, 0);
        for (int offset = CtRecord.EXPIRES_OFFSET; offset < CtRecord.SIZE; offset += 8)
        {
            OffHeap.putLong(record + offset, 0); // word stores: a slice fill costs more than the 124 bytes
        }
        OffHeap.putInt(record + CtRecord.EXPIRES_OFFSET, nowMs);
        OffHeap.putByte(record + CtRecord.FAMILY_OFFSET, original.family);
        OffHeap.putByte(record + CtRecord.PROTOCOL_OFFSET, original.protocol);
        OffHeap.putShort(record + CtRecord.ZONE_OFFSET, original.zone);
        OffHeap.putInt(record + CtRecord.START_OFFSET, (int)unixSeconds);
        writeTuple(record, 0, original, v6, block);
        writeTuple(record, 1, reply, v6, block);
        generations[index]++;
        CtRecord.endWrite(record);
        inUse++;
        touchNextFree();
        return index;
    }

    /**
     * Inserts an unconfirmed record under both its tuples and sets CONFIRMED. Returns false, changing nothing
     * but the insert_failed count, when either tuple is already in the index (a clash: the caller decides).
     */
    public boolean confirm(final int index)
    {
        final long record = record(index);
        loadRecordKey(record, 1);
        final long hashReply = kHash;
        touchGroup(hashReply); // the reply tuple's group loads while the original's is probed
        loadRecordKey(record, 0);
        return confirm(index, kHash, hashReply);
    }

    /** {@link #confirm} with both tuples' hashes known (each tuple is hashed once per confirm). */
    private boolean confirm(final int index, final long hashOriginal, final long hashReply)
    {
        final long record = record(index);
        final int status = CtRecord.status(record);
        if ((status & CtStatus.CONFIRMED) != 0 || !ensureRoom())
        {
            stats.insertFailed++;
            return false;
        }
        loadRecordFields(record, 0);
        kHash = hashOriginal;
        if (contains())
        {
            stats.insertFailed++;
            return false;
        }
        loadRecordFields(record, 1);
        kHash = hashReply;
        if (contains())
        {
            stats.insertFailed++;
            return false;
        }
        CtRecord.beginWrite(record);
        CtRecord.status(record, status | CtStatus.CONFIRMED);
        CtRecord.endWrite(record);
        insert(hashOriginal, index << 1);
        insert(hashReply, index << 1 | 1);
        size++;
        stats.insert++;
        return true;
    }

    /**
     * {@link #confirm} of {@code n} records (at most {@link #MAX_BURST}), in order, {@code ok[i]} its answer. Done
     * in stages so that the index misses of the whole burst overlap: hash both tuples of every record and touch
     * their groups first, then confirm each (a later record of the burst that clashes with an earlier one is
     * refused, as it would be one at a time).
     */
    public void confirmBurst(final int[] indexes, final int n, final boolean[] ok)
    {
        final long[] hashes = burstHash;
        final long[] replyHashes = burstTags;
        for (int i = 0; i < n; i++)
        {
            final long record = record(indexes[i]);
            loadRecordKey(record, 1);
            replyHashes[i] = kHash;
            touchGroup(kHash);
            loadRecordKey(record, 0);
            hashes[i] = kHash;
            touchGroup(kHash);
        }
        for (int i = 0; i < n; i++)
        {
            ok[i] = confirm(indexes[i], hashes[i], replyHashes[i]);
        }
    }

    /**
     * {@link #delete} of {@code n} records (at most {@link #MAX_BURST}) in stages: touch every record, then hash
     * both tuples of each and touch their groups, then unlink and retire each.
     */
    public void deleteBurst(final int[] indexes, final int n)
    {
        long sink = 0;
        for (int i = 0; i < n; i++)
        {
            sink += OffHeap.getLong(record(indexes[i]) + CtRecord.FAMILY_OFFSET);
        }
        touchSink ^= sink;
        final long[] hashes = burstHash;
        final long[] replyHashes = burstTags;
        for (int i = 0; i < n; i++)
        {
            final long record = record(indexes[i]);
            loadRecordKey(record, 1);
            replyHashes[i] = kHash;
            touchGroup(kHash);
            loadRecordKey(record, 0);
            hashes[i] = kHash;
            touchGroup(kHash);
        }
        for (int i = 0; i < n; i++)
        {
            final int index = indexes[i];
            final int status = CtRecord.status(record(index));
            if ((status & (CtStatus.CONFIRMED | CtStatus.DYING)) == CtStatus.CONFIRMED)
            {
                remove(index, REMOVED_DELETED, hashes[i], replyHashes[i]);
            }
        }
    }

    /** Frees an unconfirmed record at once (no reader can have seen it). */
    public void release(final int index)
    {
        if ((CtRecord.status(record(index)) & CtStatus.CONFIRMED) == 0)
        {
            freeRecord(index);
        }
    }

    /** Unlinks a confirmed record from the index, sets DYING, and retires it (listener told, {@link #REMOVED_DELETED}). */
    public void delete(final int index)
    {
        final int status = CtRecord.status(record(index));
        if ((status & (CtStatus.CONFIRMED | CtStatus.DYING)) == CtStatus.CONFIRMED)
        {
            remove(index, REMOVED_DELETED);
        }
    }

    /** Rewrites the reply tuple of an unconfirmed record (NAT decides it before confirmation). */
    public void replyTuple(final int index, final CtKey reply)
    {
        final long record = record(index);
        final boolean v6 = CtRecord.family(record) == CtRecord.FAMILY_IPV6;
        final int block = v6 ? OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET) : 0;
        CtRecord.beginWrite(record);
        writeTuple(record, 1, reply, v6, block);
        CtRecord.endWrite(record);
    }

    /** The incarnation of record slot {@code index}: it changes each time the slot is reused for a new connection. */
    public int generation(final int index)
    {
        return generations[index];
    }

    /** Address of an IPv6 record's address block (original src, dst, reply src, dst; 16 bytes each); 0 for IPv4. */
    public long v6Block(final int index)
    {
        final long record = record(index);
        return CtRecord.family(record) == CtRecord.FAMILY_IPV6 ? v6Addresses(OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET), 0) : 0;
    }

    /** Reads direction {@code dir}'s tuple of a record into {@code out}. */
    public CtKey tuple(final int index, final int dir, final CtKey out)
    {
        final long record = record(index);
        final long tuple = CtRecord.tuple(record, dir);
        final int protocol = CtRecord.protocol(record);
        final int zone = CtRecord.zone(record);
        final int srcPort = OffHeap.getUnsignedShort(tuple + 8);
        final int dstPort = OffHeap.getUnsignedShort(tuple + 10);
        if (CtRecord.family(record) == CtRecord.FAMILY_IPV6)
        {
            final long a = v6Addresses(OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET), dir);
            return out.ipv6(zone, protocol, OffHeap.getLong(a), OffHeap.getLong(a + 8), OffHeap.getLong(a + 16),
                OffHeap.getLong(a + 24), srcPort, dstPort);
        }
        return out.ipv4(zone, protocol, OffHeap.getInt(tuple), OffHeap.getInt(tuple + 4), srcPort, dstPort);
    }

    /** Bounded housekeeping for one poll: migration step, epoch advance, reclamation, expiry sweep. Returns work done. */
    public int poll(final int nowMs)
    {
        int work = 0;
        if (oldBase != 0)
        {
            work += migrate(MIGRATE_GROUPS_PER_POLL);
        }
        work += reclaim();
        work += sweep(nowMs);
        stats.searchRestart = readerRestarts.getAcquire();
        return work;
    }

    /**
     * Makes the record and IPv6 address slabs resident now: writes a zero into every 4 KiB page (the memory is
     * zeroed already), so that handing out a record never takes a page fault on the data path. Owner thread,
     * before traffic (or any thread before the table is published to the owner). Returns the bytes touched.
     * <p>
     * Without it the slabs are touched where the bump allocation first writes, which keeps a sparse table small
     * but costs a fault per 32 records while the table fills: in {@code perf/bench conntrack-udp}'s CPS part
     * (2M new flows, capacity 4M, 4 KiB pages here since THP gives none) about 16% of the worker's time was the
     * kernel clearing pages (profile); whether calling this at start raises the rate was not settled on this
     * noisy machine (1.40 and 1.46 Mcps with it, 0.96-1.46 without: docs/conntrack-table.md). The cost moves
     * to start: {@code capacity} × 128 bytes made resident.
     */
    public long prefault()
    {
        for (long page = 0; page < slabBytes; page += PAGE_BYTES)
        {
            OffHeap.putByte(slab + page, 0);
        }
        for (long page = 0; page < v6SlabBytes; page += PAGE_BYTES)
        {
            OffHeap.putByte(v6Slab + page, 0);
        }
        return slabBytes + v6SlabBytes;
    }

    /** Confirmed entries in the table. */
    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return capacity;
    }

    /** Bytes of table memory (records, IPv6 blocks, index) per connection at full capacity. */
    public double bytesPerConnection()
    {
        final long indexBytes = CtIndex.bytes(CtIndex.groups(capacity));
        final long generationBytes = 4L * capacity;
        return (double)(slabBytes + v6SlabBytes + indexBytes + generationBytes) / capacity;
    }

    /** Registers a reader slot (control plane; allocates). */
    public Reader reader()
    {
        return new TableReader(epochs.register());
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int n = 0; n < retiredIndexCount; n++)
        {
            final int at = (retiredIndexHead + n) % RETIRED_INDEXES;
            memory.free(retiredIndexAddress[at], retiredIndexBytes[at]);
        }
        retiredIndexCount = 0;
        if (oldBase != 0)
        {
            memory.free(oldBase, oldBytes);
            oldBase = 0;
        }
        memory.free(curBase, curBytes);
        memory.free(v6Slab, v6SlabBytes);
        memory.free(slab, slabBytes);
    }

    // ---- package-private views for tests ----

    int indexGroups()
    {
        return curGroups;
    }

    int indexTombstones()
    {
        return curTombstones;
    }

    boolean migrating()
    {
        return oldBase != 0;
    }

    int retiredRecords()
    {
        return retiredCount;
    }

    int inUse()
    {
        return inUse;
    }

    int gcBudget()
    {
        return gcBudget;
    }

    // ---- keys and hashing ----

    private void loadKey(final CtKey key)
    {
        final int fpz = CtIndex.fpz(key.family, key.protocol, key.zone);
        final int ports = CtIndex.ports(key.srcPort, key.dstPort);
        kFpz = fpz;
        kPorts = ports;
        if (key.family == CtRecord.FAMILY_IPV6)
        {
            kA = 0;
            kSh = key.srcHi;
            kSl = key.srcLo;
            kDh = key.dstHi;
            kDl = key.dstLo;
            kHash = CtIndex.hash6(seed, fpz, ports, kSh, kSl, kDh, kDl);
        }
        else
        {
            kA = CtIndex.addresses4(key.srcLo, key.dstLo);
            kSh = 0;
            kSl = 0;
            kDh = 0;
            kDl = 0;
            kHash = CtIndex.hash4(seed, fpz, ports, kA);
        }
    }

    private void loadRecordKey(final long record, final int dir)
    {
        loadRecordFields(record, dir);
        kHash = (kFpz & 0xFF) == CtRecord.FAMILY_IPV6 ? CtIndex.hash6(seed, kFpz, kPorts, kSh, kSl, kDh, kDl) :
            CtIndex.hash4(seed, kFpz, kPorts, kA);
    }

    /** The key fields of direction {@code dir}'s tuple, without hashing them (kHash is left as it was). */
    private void loadRecordFields(final long record, final int dir)
    {
        final long tuple = CtRecord.tuple(record, dir);
        final int fpz = OffHeap.getInt(record + CtRecord.FAMILY_OFFSET);
        final int ports = OffHeap.getInt(tuple + 8);
        kFpz = fpz;
        kPorts = ports;
        if ((fpz & 0xFF) == CtRecord.FAMILY_IPV6)
        {
            final long a = v6Addresses(OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET), dir);
            kA = 0;
            kSh = OffHeap.getLong(a);
            kSl = OffHeap.getLong(a + 8);
            kDh = OffHeap.getLong(a + 16);
            kDl = OffHeap.getLong(a + 24);
        }
        else
        {
            kA = OffHeap.getLong(tuple);
            kSh = 0;
            kSl = 0;
            kDh = 0;
            kDl = 0;
        }
    }

    private long v6Addresses(final int block, final int dir)
    {
        return v6Slab + ((long)block << 6) + ((long)dir << 5);
    }

    private void writeTuple(final long record, final int dir, final CtKey key, final boolean v6, final int block)
    {
        final long tuple = CtRecord.tuple(record, dir);
        if (v6)
        {
            final long a = v6Addresses(block, dir);
            OffHeap.putLong(a, key.srcHi);
            OffHeap.putLong(a + 8, key.srcLo);
            OffHeap.putLong(a + 16, key.dstHi);
            OffHeap.putLong(a + 24, key.dstLo);
            OffHeap.putInt(tuple, dir == 0 ? block : 0);
            OffHeap.putInt(tuple + 4, 0);
        }
        else
        {
            OffHeap.putInt(tuple, (int)key.srcLo);
            OffHeap.putInt(tuple + 4, (int)key.dstLo);
        }
        OffHeap.putShort(tuple + 8, key.srcPort);
        OffHeap.putShort(tuple + 10, key.dstPort);
    }

    // ---- index: probe, insert, unlink ----

    /**
     * The entry whose tuple is the key, or NONE. Any thread: the tag word is read with acquire (R4: pairs with
     * W4 in {@link #insert}/{@link #clearSlot}), so the entry read after a matching tag is the one the tag was
     * published with or a later one; either way the key is compared against the record itself.
     */
    static int find(final long base, final int groups, final long hash, final long slab, final long v6Slab, final int capacity6,
                    final int fpz, final int ports, final long a, final long sh, final long sl, final long dh, final long dl)
    {
        final int tag = CtIndex.tag(hash);
        int g = CtIndex.group(hash, groups);
        for (int probes = 0; probes < groups; probes++)
        {
            final long group = base + (long)g * CtIndex.GROUP_SIZE;
            final long tags = OffHeap.getLongAcquire(group); // R4
            for (long m = CtIndex.matches(tags, tag); m != 0; m &= m - 1)
            {
                final int entry = OffHeap.getInt(group + CtIndex.ENTRIES_OFFSET + (CtIndex.slot(m) << 2));
                final long record = slab + ((long)(entry >>> 1) << CtRecord.SHIFT);
                if (CtIndex.matchesRecord(record, entry & 1, v6Slab, capacity6, fpz, ports, a, sh, sl, dh, dl))
                {
                    return entry;
                }
            }
            if (CtIndex.empties(tags) != 0)
            {
                return NONE;
            }
            if (++g == groups)
            {
                g = 0;
            }
        }
        return NONE;
    }

    private boolean contains()
    {
        return find(curBase, curGroups, kHash, slab, v6Slab, capacity6, kFpz, kPorts, kA, kSh, kSl, kDh, kDl) != NONE ||
            oldBase != 0 && find(oldBase, oldGroups, kHash, slab, v6Slab, capacity6, kFpz, kPorts, kA, kSh, kSl, kDh, kDl) != NONE;
    }

    /** Into the current index; the caller made sure there is room ({@link #ensureRoom}). */
    private void insert(final long hash, final int entry)
    {
        final long base = curBase;
        final int groups = curGroups;
        int g = CtIndex.group(hash, groups);
        for (int probes = 0; ; probes++)
        {
            final long group = base + (long)g * CtIndex.GROUP_SIZE;
            final long tags = OffHeap.getLong(group);
            final long free = CtIndex.free(tags);
            if (free != 0)
            {
                final int slot = CtIndex.slot(free);
                if ((tags >>> (slot << 3) & 0xFF) == CtIndex.TOMBSTONE)
                {
                    curTombstones--;
                }
                OffHeap.putInt(group + CtIndex.ENTRIES_OFFSET + (slot << 2), entry);
                OffHeap.putLongRelease(group, CtIndex.withTag(tags, slot, CtIndex.tag(hash))); // W4: publishes the entry
                curUsed++;
                if (probes > CHAIN_TOO_LONG_GROUPS)
                {
                    stats.chainTooLong++;
                }
                return;
            }
            if (++g == groups)
            {
                g = 0;
            }
        }
    }

    /** The group holding {@code entry} on the probe path of {@code hash} (slot in {@link #foundSlot}), or -1. */
    private int findEntry(final long base, final int groups, final long hash, final int entry)
    {
        final int tag = CtIndex.tag(hash);
        int g = CtIndex.group(hash, groups);
        for (int probes = 0; probes < groups; probes++)
        {
            final long group = base + (long)g * CtIndex.GROUP_SIZE;
            final long tags = OffHeap.getLong(group);
            for (long m = CtIndex.matches(tags, tag); m != 0; m &= m - 1)
            {
                final int slot = CtIndex.slot(m);
                if (OffHeap.getInt(group + CtIndex.ENTRIES_OFFSET + (slot << 2)) == entry)
                {
                    foundSlot = slot;
                    return g;
                }
            }
            if (CtIndex.empties(tags) != 0)
            {
                return -1;
            }
            if (++g == groups)
            {
                g = 0;
            }
        }
        return -1;
    }

    /**
     * Empties a slot: to EMPTY when its group already has an empty slot (no probe passes through this group,
     * so none can be cut short), else to a tombstone. Returns whether it left a tombstone.
     */
    private static boolean clearSlot(final long group, final int slot)
    {
        final long tags = OffHeap.getLong(group);
        final boolean tombstone = CtIndex.empties(tags) == 0;
        OffHeap.putLongRelease(group, CtIndex.withTag(tags, slot, tombstone ? CtIndex.TOMBSTONE : CtIndex.EMPTY)); // W4
        return tombstone;
    }

    /** Removes entry {@code index << 1 | dir} (tuple hash {@code hash}) from both indexes; compares entries, not keys. */
    private void unlink(final int index, final int dir, final long hash)
    {
        final int entry = index << 1 | dir;
        final int g = findEntry(curBase, curGroups, hash, entry);
        if (g >= 0)
        {
            curUsed--;
            if (clearSlot(curBase + (long)g * CtIndex.GROUP_SIZE, foundSlot))
            {
                curTombstones++;
            }
        }
        if (oldBase != 0)
        {
            final int og = findEntry(oldBase, oldGroups, hash, entry);
            if (og >= 0)
            {
                clearSlot(oldBase + (long)og * CtIndex.GROUP_SIZE, foundSlot);
                if (og >= migrateCursor)
                {
                    oldPending--;
                }
            }
        }
    }

    /**
     * Starts the load of a hash's group in the current index without waiting for it, so that the two tuples'
     * cache misses of a confirm or a delete overlap (measured at 1M live connections: see docs/conntrack-table.md).
     */
    private void touchGroup(final long hash)
    {
        final long group = curBase + (long)CtIndex.group(hash, curGroups) * CtIndex.GROUP_SIZE;
        touchSink ^= OffHeap.getLong(group) + OffHeap.getLong(group + CtIndex.GROUP_SIZE - 8); // both lines of a straddling group
    }

    /**
     * Starts the loads of both cache lines of the record that the next {@link #takeRecord} will hand out (the
     * free list's head), so that the next allocate finds its link and writes its 128 bytes without waiting.
     */
    private void touchNextFree()
    {
        final int next = freeHead;
        if (next != NONE)
        {
            final long record = record(next);
            touchSink ^= OffHeap.getLong(record + CtRecord.MARK_OFFSET) + OffHeap.getLong(record + 64);
        }
    }

    /** DYING, unlinked from both tuples, listener told, retired. */
    private void remove(final int index, final int reason)
    {
        final long record = record(index);
        loadRecordKey(record, 1);
        final long hashReply = kHash;
        touchGroup(hashReply); // the reply tuple's group loads while the original's is unlinked
        loadRecordKey(record, 0);
        remove(index, reason, kHash, hashReply);
    }

    private void remove(final int index, final int reason, final long hashOriginal, final long hashReply)
    {
        final long record = record(index);
        CtRecord.beginWrite(record);
        CtRecord.status(record, CtRecord.status(record) | CtStatus.DYING);
        CtRecord.endWrite(record);
        unlink(index, 0, hashOriginal);
        unlink(index, 1, hashReply);
        size--;
        stats.delete++;
        listener.removed(index, record, reason);
        retireRecord(index);
    }

    // ---- growth: incremental migration to a new index ----

    /**
     * Makes room for two more entries in the current index: when used slots plus tombstones plus what the
     * running migration still has to move would pass 7/8, finishes that migration at once (rare: inserts
     * outran the per-poll steps) and starts a new one, to a larger index or, at full size, to a clean one.
     */
    private boolean ensureRoom()
    {
        final long limit = (long)curGroups * CtIndex.MAX_USED_PER_GROUP;
        if ((long)curUsed + curTombstones + oldPending + 2 <= limit)
        {
            return true;
        }
        if (oldBase != 0)
        {
            migrate(oldGroups);
            if ((long)curUsed + curTombstones + 2 <= limit)
            {
                return true;
            }
        }
        return startMigration();
    }

    private boolean startMigration()
    {
        if (retiredIndexCount == RETIRED_INDEXES)
        {
            reclaim();
            if (retiredIndexCount == RETIRED_INDEXES)
            {
                return false; // NOTE: only when a reader has stayed in one epoch across 64 index replacements
            }
        }
        final int target = (int)Math.min(capacity, Math.max((long)config.initialCapacity(), 2L * size + 2));
        final long groups = Math.max(CtIndex.groups(target), curGroups);
        final long bytes = CtIndex.bytes(groups);
        final long base = memory.allocate(bytes);
        beginIndexWrite();
        oldBase = curBase;
        oldGroups = curGroups;
        oldBytes = curBytes;
        curBase = base;
        curGroups = (int)groups;
        curBytes = bytes;
        endIndexWrite();
        oldPending = curUsed;
        curUsed = 0;
        curTombstones = 0;
        migrateCursor = 0;
        return true;
    }

    /**
     * Copies up to {@code maxGroups} old groups into the current index. Entries stay in the old index too, so
     * a reader searching new then old never misses one that is moving; the owner unlinks from both.
     */
    private int migrate(final int maxGroups)
    {
        final long base = oldBase;
        final int end = (int)Math.min(oldGroups, (long)migrateCursor + maxGroups);
        final int steps = end - migrateCursor;
        final int[] moving = migrateEntry;
        final long[] hashes = migrateHash;
        int moved = 0;
        beginIndexWrite();
        // In batches of MIGRATE_BATCH_GROUPS old groups, in stages, so that the cache misses of the batch overlap:
        // collect the entries, touch every record, hash every tuple and touch its new group, insert. One entry
        // at a time paid a record miss and a group miss in series: growing from 0.5M to 1M connections in the
        // router (perf/bench conntrack-udp, CPS part) took ~0.2 s at a quarter of the insert rate.
        for (int g0 = migrateCursor; g0 < end; g0 += MIGRATE_BATCH_GROUPS)
        {
            final int g1 = Math.min(end, g0 + MIGRATE_BATCH_GROUPS);
            int n = 0;
            for (int g = g0; g < g1; g++)
            {
                final long group = base + (long)g * CtIndex.GROUP_SIZE;
                for (long m = CtIndex.full(OffHeap.getLong(group)); m != 0; m &= m - 1)
                {
                    moving[n++] = OffHeap.getInt(group + CtIndex.ENTRIES_OFFSET + (CtIndex.slot(m) << 2));
                }
            }
            long sink = 0;
            for (int k = 0; k < n; k++)
            {
                sink += OffHeap.getLong(record(moving[k] >>> 1) + CtRecord.FAMILY_OFFSET);
            }
            touchSink ^= sink;
            for (int k = 0; k < n; k++)
            {
                final int entry = moving[k];
                loadRecordKey(record(entry >>> 1), entry & 1);
                hashes[k] = kHash;
                touchGroup(kHash);
            }
            for (int k = 0; k < n; k++)
            {
                insert(hashes[k], moving[k]);
            }
            oldPending -= n;
            moved += n;
        }
        migrateCursor = end;
        if (end == oldGroups)
        {
            retireIndex(oldBase, oldBytes);
            oldBase = 0;
            oldGroups = 0;
            oldBytes = 0;
            oldPending = 0;
        }
        endIndexWrite();
        return moved + steps;
    }

    private void beginIndexWrite()
    {
        INDEX_SEQ.setRelease(this, indexSeq + 1);
        VarHandle.storeStoreFence(); // W5: the odd seq before any index change (pairs with R5's fence in TableReader.lookup)
    }

    private void endIndexWrite()
    {
        INDEX_SEQ.setRelease(this, indexSeq + 1); // W6: publishes the changes (pairs with R6 in TableReader.lookup)
    }

    // ---- records: free list, early drop, retirement, reclamation, sweep ----

    private int takeRecord()
    {
        final int index = freeHead;
        if (index != NONE)
        {
            freeHead = OffHeap.getInt(record(index) + CtRecord.MARK_OFFSET);
            return index;
        }
        if (highWater < capacity)
        {
            final int fresh = highWater++;
            LIMIT.setRelease(this, highWater);
            return fresh;
        }
        return NONE;
    }

    private void freeRecord(final int index)
    {
        final long record = record(index);
        final boolean v6 = CtRecord.family(record) == CtRecord.FAMILY_IPV6;
        final int block = OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET);
        CtRecord.beginWrite(record);
        CtRecord.status(record, 0);
        OffHeap.putInt(record + CtRecord.MARK_OFFSET, freeHead);
        CtRecord.endWrite(record);
        freeHead = index;
        inUse--;
        if (v6)
        {
            OffHeap.putInt(v6Slab + ((long)block << 6), v6FreeHead);
            v6FreeHead = block;
        }
    }

    private int takeBlock()
    {
        final int block = v6FreeHead;
        if (block != NONE)
        {
            v6FreeHead = OffHeap.getInt(v6Slab + ((long)block << 6));
            return block;
        }
        if (v6HighWater < capacity6)
        {
            return v6HighWater++;
        }
        return NONE;
    }

    /** Linux's early_drop: the first unassured (or expired) entry in a few groups from the new tuple's hash. */
    private void earlyDrop(final int nowMs)
    {
        if (!earlyDrop(curBase, curGroups, nowMs) && oldBase != 0)
        {
            earlyDrop(oldBase, oldGroups, nowMs);
        }
    }

    private boolean earlyDrop(final long base, final int groups, final int nowMs)
    {
        int g = CtIndex.group(kHash, groups);
        for (int n = 0; n < EARLY_DROP_GROUPS && n < groups; n++)
        {
            final long group = base + (long)g * CtIndex.GROUP_SIZE;
            for (long m = CtIndex.full(OffHeap.getLong(group)); m != 0; m &= m - 1)
            {
                final int index = OffHeap.getInt(group + CtIndex.ENTRIES_OFFSET + (CtIndex.slot(m) << 2)) >>> 1;
                final long record = record(index);
                if (CtRecord.isExpired(record, nowMs))
                {
                    stats.expired++;
                    remove(index, REMOVED_EXPIRED);
                    return true;
                }
                if ((CtRecord.status(record) & CtStatus.ASSURED) == 0)
                {
                    stats.earlyDrop++;
                    remove(index, REMOVED_EARLY_DROP);
                    return true;
                }
            }
            if (++g == groups)
            {
                g = 0;
            }
        }
        return false;
    }

    /** Queues an unlinked record until no reader can hold it; the retire epoch goes in MARK, the link in EXPIRES. */
    private void retireRecord(final int index)
    {
        final long record = record(index);
        CtRecord.beginWrite(record);
        OffHeap.putInt(record + CtRecord.MARK_OFFSET, (int)epochs.epoch());
        OffHeap.putInt(record + CtRecord.EXPIRES_OFFSET, NONE);
        CtRecord.endWrite(record);
        if (retiredTail == NONE)
        {
            retiredHead = index;
        }
        else
        {
            final long tail = record(retiredTail);
            CtRecord.beginWrite(tail);
            OffHeap.putInt(tail + CtRecord.EXPIRES_OFFSET, index);
            CtRecord.endWrite(tail);
        }
        retiredTail = index;
        retiredCount++;
    }

    private void retireIndex(final long address, final long bytes)
    {
        final int at = (retiredIndexHead + retiredIndexCount) % RETIRED_INDEXES;
        retiredIndexAddress[at] = address;
        retiredIndexBytes[at] = bytes;
        retiredIndexEpoch[at] = epochs.epoch();
        retiredIndexCount++;
    }

    /** Advances the epoch and frees what every reader has left behind. Returns records and indexes freed. */
    private int reclaim()
    {
        if (retiredCount == 0 && retiredIndexCount == 0)
        {
            return 0;
        }
        final long safe = epochs.advance();
        int freed = 0;
        while (retiredHead != NONE)
        {
            final long record = record(retiredHead);
            if (OffHeap.getInt(record + CtRecord.MARK_OFFSET) - (int)safe >= 0)
            {
                break;
            }
            final int next = OffHeap.getInt(record + CtRecord.EXPIRES_OFFSET);
            freeRecord(retiredHead);
            retiredCount--;
            freed++;
            retiredHead = next;
        }
        if (retiredHead == NONE)
        {
            retiredTail = NONE;
        }
        while (retiredIndexCount > 0 && retiredIndexEpoch[retiredIndexHead] < safe)
        {
            memory.free(retiredIndexAddress[retiredIndexHead], retiredIndexBytes[retiredIndexHead]);
            retiredIndexHead = (retiredIndexHead + 1) % RETIRED_INDEXES;
            retiredIndexCount--;
            freed++;
        }
        return freed;
    }

    /**
     * Expiry sweep over the slab, bounded per poll; the budget doubles while a quarter or more of the records
     * looked at had expired and halves while under one in twenty did (the idea of Linux's gc_worker).
     */
    private int sweep(final int nowMs)
    {
        final int end = highWater;
        if (end == 0)
        {
            return 0;
        }
        final int budget = Math.min(gcBudget, end);
        int index = gcCursor;
        int expired = 0;
        for (int n = 0; n < budget; n++)
        {
            if (index >= end)
            {
                index = 0;
            }
            final long record = record(index);
            if ((CtRecord.status(record) & (CtStatus.CONFIRMED | CtStatus.DYING)) == CtStatus.CONFIRMED &&
                CtRecord.isExpired(record, nowMs))
            {
                stats.expired++;
                remove(index, REMOVED_EXPIRED);
                expired++;
            }
            index++;
        }
        gcCursor = index;
        if (expired * 4 >= budget)
        {
            gcBudget = Math.min(GC_MAX_BUDGET, gcBudget * 2);
        }
        else if (expired * 20 < budget)
        {
            gcBudget = Math.max(GC_MIN_BUDGET, gcBudget / 2);
        }
        return expired;
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

    private final class TableReader implements Reader
    {
        private final int slot;
        private boolean closed;

        TableReader(final int slot)
        {
            this.slot = slot;
        }

        @Override
        public void enter()
        {
            epochs.enter(slot);
        }

        @Override
        public void exit()
        {
            epochs.exit(slot);
        }

        @Override
        public int lookup(final CtKey key)
        {
            final int fpz = CtIndex.fpz(key.family, key.protocol, key.zone);
            final int ports = CtIndex.ports(key.srcPort, key.dstPort);
            final boolean v6 = key.family == CtRecord.FAMILY_IPV6;
            final long a = v6 ? 0 : CtIndex.addresses4(key.srcLo, key.dstLo);
            final long sh = v6 ? key.srcHi : 0;
            final long sl = v6 ? key.srcLo : 0;
            final long dh = v6 ? key.dstHi : 0;
            final long dl = v6 ? key.dstLo : 0;
            final long hash = v6 ? CtIndex.hash6(seed, fpz, ports, sh, sl, dh, dl) : CtIndex.hash4(seed, fpz, ports, a);
            while (true)
            {
                final int seq = (int)INDEX_SEQ.getAcquire(ConntrackTable.this); // R6: pairs with W6 in endIndexWrite
                if ((seq & 1) != 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                final long cur = curBase;
                final int curN = curGroups;
                final long old = oldBase;
                final int oldN = oldGroups;
                VarHandle.loadLoadFence(); // R5: the descriptor (and, below, the probe) before the re-check; pairs with W5
                if ((int)INDEX_SEQ.getAcquire(ConntrackTable.this) != seq)
                {
                    readerRestarts.incrementAndGet();
                    continue;
                }
                int entry = find(cur, curN, hash, slab, v6Slab, capacity6, fpz, ports, a, sh, sl, dh, dl);
                if (entry == NONE && old != 0)
                {
                    entry = find(old, oldN, hash, slab, v6Slab, capacity6, fpz, ports, a, sh, sl, dh, dl);
                }
                if (entry != NONE)
                {
                    return entry;
                }
                VarHandle.loadLoadFence(); // R5
                if ((int)INDEX_SEQ.getAcquire(ConntrackTable.this) == seq)
                {
                    return NONE;
                }
                // NOTE: a miss while a migration step or an index swap ran: not trusted, searched again.
                readerRestarts.incrementAndGet();
            }
        }

        @Override
        public boolean snapshot(final int index, final int nowMs, final CtEntry out)
        {
            if (index < 0 || index >= limit())
            {
                return false;
            }
            final long record = record(index);
            while (true)
            {
                final int seq = OffHeap.getIntAcquire(record + CtRecord.SEQ_OFFSET); // R7: pairs with endWrite's release
                if ((seq & 1) != 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                if (copy(index, record, nowMs, out))
                {
                    VarHandle.loadLoadFence(); // R8: the copy before the re-check; pairs with beginWrite's storeStoreFence
                    if (OffHeap.getInt(record + CtRecord.SEQ_OFFSET) == seq)
                    {
                        return true;
                    }
                }
                else
                {
                    VarHandle.loadLoadFence(); // R8
                    if (OffHeap.getInt(record + CtRecord.SEQ_OFFSET) == seq)
                    {
                        return false;
                    }
                }
            }
        }

        /** Plain racy copy; the caller validates it with the seqlock. False when the record is not live (or unreadable). */
        private boolean copy(final int index, final long record, final int nowMs, final CtEntry out)
        {
            final int status = OffHeap.getInt(record + CtRecord.STATUS_OFFSET);
            if ((status & (CtStatus.CONFIRMED | CtStatus.DYING)) != CtStatus.CONFIRMED)
            {
                return false;
            }
            final int family = CtRecord.family(record);
            final int protocol = CtRecord.protocol(record);
            out.index = index;
            out.generation = generations[index];
            out.family = family;
            out.protocol = protocol;
            out.zone = CtRecord.zone(record);
            out.status = status;
            out.mark = CtRecord.mark(record);
            final int remainingMs = CtRecord.expires(record) - nowMs;
            // conntrack -L prints the remaining jiffies / HZ: truncated seconds, never negative
            out.timeoutSeconds = remainingMs <= 0 ? 0 : remainingMs / 1000;
            out.tcpState = protocol == 6 ? OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET) : -1;
            out.startSeconds = CtRecord.startSeconds(record);
            final int block = OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET);
            if (family == CtRecord.FAMILY_IPV6 && (block < 0 || block >= capacity6))
            {
                return false;
            }
            for (int dir = 0; dir < 2; dir++)
            {
                final long tuple = CtRecord.tuple(record, dir);
                if (family == CtRecord.FAMILY_IPV6)
                {
                    final long a = v6Addresses(block, dir);
                    out.srcHi[dir] = OffHeap.getLong(a);
                    out.srcLo[dir] = OffHeap.getLong(a + 8);
                    out.dstHi[dir] = OffHeap.getLong(a + 16);
                    out.dstLo[dir] = OffHeap.getLong(a + 24);
                }
                else
                {
                    out.srcHi[dir] = 0;
                    out.srcLo[dir] = OffHeap.getInt(tuple) & 0xFFFF_FFFFL;
                    out.dstHi[dir] = 0;
                    out.dstLo[dir] = OffHeap.getInt(tuple + 4) & 0xFFFF_FFFFL;
                }
                out.srcPort[dir] = OffHeap.getUnsignedShort(tuple + 8);
                out.dstPort[dir] = OffHeap.getUnsignedShort(tuple + 10);
                out.packets[dir] = CtRecord.packets(record, dir);
                out.bytes[dir] = CtRecord.bytes(record, dir);
            }
            return true;
        }

        @Override
        public int limit()
        {
            return (int)LIMIT.getAcquire(ConntrackTable.this);
        }

        @Override
        public void close()
        {
            if (!closed)
            {
                closed = true;
                epochs.unregister(slot);
            }
        }
    }
}
