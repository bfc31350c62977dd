package io.flowgate.conntrack.expect;

import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;

/**
 * One worker's expectations, Linux's {@code nf_conntrack_expect}: a master connection (an FTP control
 * connection, a TFTP request) announces a connection it expects; the first packet that matches creates that
 * connection RELATED, with status EXPECTED, the master's mark, and the master's NAT to follow
 * ({@link #follow}).
 * <p>
 * An expectation is: the master (record index and its generation, so a reused slot never matches), a class
 * (the helper's: {@link #CLASS_FTP}, {@link #CLASS_TFTP}), the expected tuple with a mask (the source address
 * and the source port may be "any"; destination and protocol are exact, as Linux's hash on them), the
 * direction of the master in which the expected connection is opened and the port the helper saw before NAT
 * changed it ({@code exp->dir}, {@code exp->saved_proto}, read by {@code nf_nat_follow_master}), a deadline,
 * and flags.
 * <p>
 * Memory: primitive arrays sized once ({@code capacity} expectations, a power-of-two bucket array of
 * destination hashes with chains through {@code next}); nothing is allocated after construction.
 * Creation, the master's death and the sweep scan the slots (bounded, rare: one per FTP command); the lookup
 * on a conntrack miss hashes the destination and walks one short chain, and costs one field read while the
 * table is empty.
 * <p>
 * Usage: the worker's {@code Conntrack} holds the table ({@code Conntrack.expectations}) and calls
 * {@link #match} on every new entry, {@link #removed} for every removed entry; helpers call {@link #expect};
 * the worker calls {@link #expire} on its housekeeping ratio.
 * <p>
 * Thread-safety: the owning worker only.
 */
public final class ExpectTable
{
    public static final int NONE = -1;

    /** Expectation classes (Linux's per-helper {@code expect_policy} index, one per helper here). */
    public static final int CLASS_FTP = 0;
    public static final int CLASS_TFTP = 1;
    public static final int CLASSES = 2;

    /** {@code NF_CT_EXPECT_PERMANENT}: stays after it matched (until its deadline or its master's death). */
    public static final int FLAG_PERMANENT = 1;
    /** {@code NF_CT_EXPECT_INACTIVE}: never matches (created to reserve a tuple). */
    public static final int FLAG_INACTIVE = 4;
    /** The expected connection follows the master's NAT ({@code exp->expectfn = nf_nat_follow_master}): see {@link #follow}. */
    public static final int FLAG_NAT_FOLLOW = 1 << 8;

    /** {@link #expect} results, as {@code nf_ct_expect_related}: created, or refused. */
    public static final int CREATED = 0;
    /** Another master's expectation (or another class's) covers the same tuple: {@code -EBUSY}. */
    public static final int BUSY = -1;
    /** The table is full, or the master has its class's maximum and none could be evicted: {@code -EMFILE}. */
    public static final int FULL = -2;
    /** The master is not in a state to expect (not helped, dying): {@code -ESHUTDOWN}. */
    public static final int SHUTDOWN = -3;

    private static final int CHILD_RING = 256;

    private final ConntrackTable table;
    private final HelpTable help;
    private final int capacity;
    private final int bucketMask;
    private final int[] buckets;
    private final int[] next;
    // ---- one expectation per slot (structure of arrays); master NONE = free ----
    private final int[] master;
    private final int[] masterGeneration;
    private final int[] cls;
    private final int[] flags;
    private final int[] expiresMs;
    /** Creation order: the oldest of a master's class is evicted first. */
    private final long[] serial;
    private final int[] dir;
    private final int[] savedPort;
    private final int[] family;
    private final int[] protocol;
    private final int[] zone;
    private final long[] srcHi;
    private final long[] srcLo;
    private final long[] dstHi;
    private final long[] dstLo;
    private final int[] srcPort;
    private final int[] dstPort;
    /** Mask bits: 1 the source address must match, 2 the source port must match. */
    private final int[] mask;
    private int freeHead;
    private int count;
    private long nextSerial;
    private int sweepCursor;

    // ---- children created recently: what nf_nat_follow_master needs when NAT decides (a ring, overwritten) ----
    private final int[] childIndex = new int[CHILD_RING];
    private final int[] childGeneration = new int[CHILD_RING];
    private final int[] childMaster = new int[CHILD_RING];
    private final int[] childDir = new int[CHILD_RING];
    private final int[] childSavedPort = new int[CHILD_RING];
    private int childCursor;

    // ---- counters (Linux's expect_new, expect_create, expect_delete; and refusals) ----
    public long expectNew;
    public long expectCreate;
    public long expectDelete;
    public long expectFull;
    public long expectBusy;

    /**
     * @param capacity      expectations at most (Linux's {@code nf_ct_expect_max} per worker)
     * @param helpCapacity  helped connections at most (each has a {@link HelpTable} slot)
     */
    public ExpectTable(final ConntrackTable table, final int capacity, final int helpCapacity)
    {
        if (capacity < 1 || capacity > (1 << 24))
        {
            throw new IllegalArgumentException("expectation capacity out of 1..2^24: " + capacity);
        }
        this.table = table;
        this.help = new HelpTable(table, helpCapacity);
        this.capacity = capacity;
        final int bucketCount = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1);
        this.bucketMask = bucketCount - 1;
        this.buckets = new int[bucketCount];
        java.util.Arrays.fill(buckets, NONE);
        this.next = new int[capacity];
        this.master = new int[capacity];
        this.masterGeneration = new int[capacity];
        this.cls = new int[capacity];
        this.flags = new int[capacity];
        this.expiresMs = new int[capacity];
        this.serial = new long[capacity];
        this.dir = new int[capacity];
        this.savedPort = new int[capacity];
        this.family = new int[capacity];
        this.protocol = new int[capacity];
        this.zone = new int[capacity];
        this.srcHi = new long[capacity];
        this.srcLo = new long[capacity];
        this.dstHi = new long[capacity];
        this.dstLo = new long[capacity];
        this.srcPort = new int[capacity];
        this.dstPort = new int[capacity];
        this.mask = new int[capacity];
        for (int s = 0; s < capacity; s++)
        {
            master[s] = NONE;
            next[s] = s + 1 < capacity ? s + 1 : NONE;
        }
        freeHead = 0;
        java.util.Arrays.fill(childIndex, NONE);
    }

    /** The helped connections' extension (helper state, sequence adjustment). */
    public HelpTable help()
    {
        return help;
    }

    public ConntrackTable table()
    {
        return table;
    }

    /** Expectations alive (expired ones not yet swept included). */
    public int size()
    {
        return count;
    }

    public int capacity()
    {
        return capacity;
    }

    /**
     * {@code nf_ct_expect_related}: master {@code masterIndex} expects a connection {@code tuple} (its source
     * address compared only when {@code matchSrcAddress}, its source port only when {@code matchSrcPort}).
     * {@code expDir} is the master's direction the expected connection follows ({@code exp->dir}),
     * {@code saved} the port the helper read before NAT chose another ({@code exp->saved_proto}; the
     * tuple's destination port when there is no NAT).
     * <p>
     * An expectation of the same master and class for the same tuple and mask is replaced; one of another
     * master or class that overlaps is {@link #BUSY}; over {@code maxExpected} for this master and class the
     * oldest is evicted first. Returns the slot (≥ 0) or a refusal.
     */
    public int expect(final int masterIndex, final int expClass, final int expFlags, final CtKey tuple, final boolean matchSrcAddress,
                      final boolean matchSrcPort, final int expDir, final int saved, final int maxExpected, final int timeoutMs,
                      final int nowMs)
    {
        final long masterRecord = table.record(masterIndex);
        if ((CtRecord.status(masterRecord) & (CtStatus.DYING | CtStatus.HELPER)) != CtStatus.HELPER)
        {
            return SHUTDOWN;
        }
        final int masterZone = CtRecord.zone(masterRecord);
        final int m = (matchSrcAddress ? 1 : 0) | (matchSrcPort ? 2 : 0);
        final int generation = table.generation(masterIndex);
        // __nf_ct_expect_check: the same expectation again replaces it; an overlapping one of another owner refuses.
        int bucket = buckets[hash(tuple)];
        while (bucket != NONE)
        {
            final int s = bucket;
            bucket = next[s];
            if (expired(s, nowMs) || !masterAlive(s))
            {
                unlink(s);
                continue;
            }
            if (zone[s] != masterZone || family[s] != tuple.family || protocol[s] != tuple.protocol || dstLo[s] != tuple.dstLo ||
                dstHi[s] != tuple.dstHi || dstPort[s] != tuple.dstPort)
            {
                continue;
            }
            final int both = mask[s] & m;
            final boolean overlap = ((both & 1) == 0 || (srcLo[s] == tuple.srcLo && srcHi[s] == tuple.srcHi)) &&
                ((both & 2) == 0 || srcPort[s] == tuple.srcPort);
            if (!overlap)
            {
                continue;
            }
            final boolean same = mask[s] == m && master[s] == masterIndex && masterGeneration[s] == generation && cls[s] == expClass &&
                ((m & 1) == 0 || (srcLo[s] == tuple.srcLo && srcHi[s] == tuple.srcHi)) && ((m & 2) == 0 || srcPort[s] == tuple.srcPort);
            if (!same)
            {
                expectBusy++;
                return BUSY;
            }
            unlink(s);
        }
        if (maxExpected > 0)
        {
            int oldest = NONE;
            int expecting = 0;
            for (int s = 0; s < capacity; s++)
            {
                if (master[s] == masterIndex && masterGeneration[s] == generation && cls[s] == expClass)
                {
                    expecting++;
                    if (oldest == NONE || serial[s] < serial[oldest])
                    {
                        oldest = s;
                    }
                }
            }
            if (expecting >= maxExpected)
            {
                unlink(oldest); // evict_oldest_expect
            }
        }
        if (freeHead == NONE)
        {
            expire(nowMs, capacity);
            if (freeHead == NONE)
            {
                expectFull++;
                return FULL;
            }
        }
        final int s = freeHead;
        freeHead = next[s];
        master[s] = masterIndex;
        masterGeneration[s] = generation;
        cls[s] = expClass;
        flags[s] = expFlags;
        expiresMs[s] = nowMs + timeoutMs;
        serial[s] = nextSerial++;
        dir[s] = expDir;
        savedPort[s] = saved;
        family[s] = tuple.family;
        protocol[s] = tuple.protocol;
        zone[s] = masterZone;
        srcHi[s] = (m & 1) != 0 ? tuple.srcHi : 0;
        srcLo[s] = (m & 1) != 0 ? tuple.srcLo : 0;
        dstHi[s] = tuple.dstHi;
        dstLo[s] = tuple.dstLo;
        srcPort[s] = (m & 2) != 0 ? tuple.srcPort : 0;
        dstPort[s] = tuple.dstPort;
        mask[s] = m;
        final int b = hash(tuple);
        next[s] = buckets[b];
        buckets[b] = s;
        count++;
        expectCreate++;
        return s;
    }

    /**
     * The expectation lookup of {@code init_conntrack} for a new entry {@code child} whose original tuple is
     * {@code key}: a live, active expectation whose master is confirmed makes the entry EXPECTED (status),
     * copies the master's mark, remembers what {@link #follow} needs, and is removed unless permanent.
     * Returns whether one matched. The child record is unconfirmed (no reader sees it yet).
     */
    public boolean match(final CtKey key, final int child, final int nowMs)
    {
        if (count == 0)
        {
            return false;
        }
        int bucket = buckets[hash(key)];
        while (bucket != NONE)
        {
            final int s = bucket;
            bucket = next[s];
            if (expired(s, nowMs) || !masterAlive(s))
            {
                unlink(s);
                continue;
            }
            if ((flags[s] & FLAG_INACTIVE) != 0 || dstLo[s] != key.dstLo || dstPort[s] != key.dstPort || protocol[s] != key.protocol ||
                family[s] != key.family || zone[s] != key.zone || dstHi[s] != key.dstHi)
            {
                continue;
            }
            final int m = mask[s];
            if (((m & 1) != 0 && (srcLo[s] != key.srcLo || srcHi[s] != key.srcHi)) || ((m & 2) != 0 && srcPort[s] != key.srcPort))
            {
                continue;
            }
            final long masterRecord = table.record(master[s]);
            if ((CtRecord.status(masterRecord) & CtStatus.CONFIRMED) == 0)
            {
                return false; // nf_ct_find_expectation: an unconfirmed master cannot have told anyone yet
            }
            final long record = table.record(child);
            CtRecord.status(record, CtRecord.status(record) | CtStatus.EXPECTED);
            CtRecord.mark(record, CtRecord.mark(masterRecord));
            if ((flags[s] & FLAG_NAT_FOLLOW) != 0)
            {
                final int k = childCursor;
                childCursor = (k + 1) & (CHILD_RING - 1);
                childIndex[k] = child;
                childGeneration[k] = table.generation(child);
                childMaster[k] = master[s];
                childDir[k] = dir[s];
                childSavedPort[k] = savedPort[s];
            }
            expectNew++;
            if ((flags[s] & FLAG_PERMANENT) == 0)
            {
                unlink(s);
            }
            return true;
        }
        return false;
    }

    /**
     * {@code nf_nat_follow_master} for an EXPECTED entry created recently (in this burst or one of the last
     * few hundred new related connections): fills {@code out} with the source address the entry is to be
     * translated to (where the master's peer sends to), the destination address and port (the master's host
     * and the port it announced). Returns false when the entry is not one this table created lately from an
     * expectation with {@link #FLAG_NAT_FOLLOW} (then NAT decides by its rules, as for any new connection). IPv4 only.
     */
    public boolean follow(final int child, final NatFollow out)
    {
        for (int n = 0, k = (childCursor - 1) & (CHILD_RING - 1); n < CHILD_RING; n++, k = (k - 1) & (CHILD_RING - 1))
        {
            if (childIndex[k] == NONE)
            {
                return false;
            }
            if (childIndex[k] == child && childGeneration[k] == table.generation(child))
            {
                final long masterRecord = table.record(childMaster[k]);
                // master->tuplehash[!exp->dir]: where the master's packets of the other direction came from and went to
                final long other = CtRecord.tuple(masterRecord, 1 - childDir[k]);
                out.master = childMaster[k];
                out.srcAddress = io.flowgate.conntrack.OffHeap.getInt(other + 4);
                out.dstAddress = io.flowgate.conntrack.OffHeap.getInt(other);
                out.dstPort = childSavedPort[k];
                return true;
            }
        }
        return false;
    }

    /** {@code nf_ct_remove_expectations} and the help extension's release for a removed entry (call for every removed entry). */
    public void removed(final int index, final int status)
    {
        if ((status & CtStatus.HELPER) == 0)
        {
            return;
        }
        if (count > 0)
        {
            for (int s = 0; s < capacity; s++)
            {
                if (master[s] == index)
                {
                    unlink(s);
                }
            }
        }
        help.release(index);
    }

    /** Removes expired expectations and those whose master is gone, looking at up to {@code budget} slots. Returns how many it removed. */
    public int expire(final int nowMs, final int budget)
    {
        if (count == 0)
        {
            return 0;
        }
        int removed = 0;
        for (int n = 0; n < budget && n < capacity; n++)
        {
            final int s = sweepCursor;
            sweepCursor = s + 1 == capacity ? 0 : s + 1;
            if (master[s] != NONE && (expired(s, nowMs) || !masterAlive(s)))
            {
                unlink(s);
                removed++;
            }
        }
        return removed;
    }

    /** Removes one expectation by its slot ({@code nf_ct_unexpect_related}: a helper that could not finish its rewrite). */
    public void unexpect(final int slot)
    {
        if (slot >= 0 && slot < capacity && master[slot] != NONE)
        {
            unlink(slot);
        }
    }

    /** Expectations of a master alive (tests, listing). */
    public int expecting(final int masterIndex)
    {
        int n = 0;
        final int generation = table.generation(masterIndex);
        for (int s = 0; s < capacity; s++)
        {
            if (master[s] == masterIndex && masterGeneration[s] == generation)
            {
                n++;
            }
        }
        return n;
    }

    /** The expected tuple of a slot (tests, listing): source fields are 0 where masked. */
    public CtKey tuple(final int slot, final CtKey out)
    {
        out.family = family[slot];
        out.protocol = protocol[slot];
        out.zone = zone[slot];
        out.srcHi = srcHi[slot];
        out.srcLo = srcLo[slot];
        out.dstHi = dstHi[slot];
        out.dstLo = dstLo[slot];
        out.srcPort = srcPort[slot];
        out.dstPort = dstPort[slot];
        return out;
    }

    public boolean live(final int slot)
    {
        return master[slot] != NONE;
    }

    public int savedPort(final int slot)
    {
        return savedPort[slot];
    }

    public int expiresMs(final int slot)
    {
        return expiresMs[slot];
    }

    // ---- internals ----

    private boolean expired(final int s, final int nowMs)
    {
        return expiresMs[s] - nowMs <= 0;
    }

    /** The master slot still holds the same connection and it is not dying. */
    private boolean masterAlive(final int s)
    {
        final int m = master[s];
        return table.generation(m) == masterGeneration[s] && (CtRecord.status(table.record(m)) & CtStatus.DYING) == 0;
    }

    private void unlink(final int s)
    {
        final int b = hash(s);
        int prev = NONE;
        int cur = buckets[b];
        while (cur != NONE && cur != s)
        {
            prev = cur;
            cur = next[cur];
        }
        if (cur == s)
        {
            if (prev == NONE)
            {
                buckets[b] = next[s];
            }
            else
            {
                next[prev] = next[s];
            }
        }
        master[s] = NONE;
        next[s] = freeHead;
        freeHead = s;
        count--;
        expectDelete++;
    }

    /** Linux hashes an expectation by its destination only (the source may be masked). */
    private int hash(final CtKey key)
    {
        return mix(key.dstHi, key.dstLo, key.dstPort, key.protocol);
    }

    private int hash(final int s)
    {
        return mix(dstHi[s], dstLo[s], dstPort[s], protocol[s]);
    }

    private int mix(final long hi, final long lo, final int port, final int proto)
    {
        long h = (lo * 0x9E3779B97F4A7C15L) ^ (hi * 0xC2B2AE3D27D4EB4FL) ^ ((long)port << 8 | proto) * 0x165667B19E3779F9L;
        h ^= h >>> 29;
        return (int)(h ^ (h >>> 32)) & bucketMask;
    }
}
