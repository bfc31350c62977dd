package io.flowgate.conntrack;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The index choice of docs/conntrack-table.md, measured: the table's tag-group index against a Robin Hood
 * index built over the same records, same hash, same keys, one lookup at a time (hits and misses). The Robin
 * Hood slot is 8 bytes (entry, probe distance, 16 tag bits) with as many slots as the tag-group index (load about 0.82 at 1M); it exists only here.
 * <p>
 * Run: {@code perf/jmh IndexChoiceBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class IndexChoiceBenchmark
{
    private static final int BURST = 32;
    private static final int KEYS = 1 << 20;
    private static final int NOW_MS = 1_000;
    private static final long SEED = 0x1234_5678_9ABCL;

    @Param({"1000000"})
    public int entries;

    /** Share of lookups for flows that are not in the table. */
    @Param({"0", "50"})
    public int missPercent;

    private ConntrackTableRig rig;
    private ConntrackTable table;
    private long slab;
    private long rhBase;
    private long rhSlots;
    private final CtKey[] keys = new CtKey[KEYS];
    private int cursor;

    @Setup(Level.Trial)
    public void setUp()
    {
        rig = new ConntrackTableRig();
        final int capacity = entries + entries / 16;
        table = new ConntrackTable(new ConntrackTable.Config(capacity, 1024, capacity, 2, SEED), rig, null, new CtStats());
        slab = table.record(0);
        // as many slots as the tag-group index has (same load factor): 8 per group
        final long slots = CtIndex.groups(capacity) * CtIndex.SLOTS;
        rhSlots = slots;
        rhBase = rig.allocate(slots * 8);
        final CtKey original = new CtKey();
        final CtKey reply = new CtKey();
        for (int flow = 0; flow < entries; flow++)
        {
            final int index = table.allocate(ConntrackTableRig.original(flow, original), ConntrackTableRig.reply(flow, reply), NOW_MS, 0);
            CtRecord.expires(table.record(index), Integer.MAX_VALUE / 2);
            table.confirm(index);
            rhInsert(ConntrackTable.hashOf(SEED, original), index << 1);
            rhInsert(ConntrackTable.hashOf(SEED, reply), index << 1 | 1);
        }
        final SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < KEYS; i++)
        {
            final boolean miss = random.nextInt(100) < missPercent;
            final int flow = miss ? entries + random.nextInt(entries) : random.nextInt(entries);
            keys[i] = random.nextBoolean() ? ConntrackTableRig.reply(flow, new CtKey()) : ConntrackTableRig.original(flow, new CtKey());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        table.close();
        rig.close();
    }

    /** Robin Hood slot: entry (32) | distance + 1 (8, 0 = empty) | tag (16). */
    private void rhInsert(final long hash, final int entry)
    {
        long slot = (hash & 0xFFFFL) << 40 | 1L << 32 | (entry & 0xFFFF_FFFFL);
        long at = ((hash >>> 32) * rhSlots) >>> 32;
        while (true)
        {
            final long address = rhBase + (at << 3);
            final long resident = OffHeap.getLong(address);
            if (resident == 0)
            {
                OffHeap.putLong(address, slot);
                return;
            }
            if ((resident >>> 32 & 0xFF) < (slot >>> 32 & 0xFF))
            {
                OffHeap.putLong(address, slot);
                slot = resident;
            }
            slot += 1L << 32;
            at = at + 1 == rhSlots ? 0 : at + 1;
        }
    }

    private int rhLookup(final CtKey key)
    {
        final long hash = ConntrackTable.hashOf(SEED, key);
        final int fpz = CtIndex.fpz(key.family, key.protocol, key.zone);
        final int ports = CtIndex.ports(key.srcPort, key.dstPort);
        final long a = CtIndex.addresses4(key.srcLo, key.dstLo);
        final long tag = hash & 0xFFFFL;
        long at = ((hash >>> 32) * rhSlots) >>> 32;
        for (int distance = 1; ; distance++)
        {
            final long slot = OffHeap.getLong(rhBase + (at << 3));
            if ((slot >>> 32 & 0xFF) < distance)
            {
                return ConntrackTable.NONE; // empty, or a resident closer to home than we are: not here
            }
            if ((slot >>> 40) == tag)
            {
                final int entry = (int)slot;
                if (CtIndex.matchesRecord(slab + ((long)(entry >>> 1) << CtRecord.SHIFT), entry & 1, 0, 0, fpz, ports, a, 0, 0, 0, 0))
                {
                    return entry;
                }
            }
            at = at + 1 == rhSlots ? 0 : at + 1;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int tagGroups()
    {
        final int base = cursor;
        cursor = (base + BURST) & (KEYS - 1);
        int found = 0;
        for (int i = 0; i < BURST; i++)
        {
            found += table.lookup(keys[base + i], NOW_MS) >>> 31 ^ 1;
        }
        return found;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int robinHood()
    {
        final int base = cursor;
        cursor = (base + BURST) & (KEYS - 1);
        int found = 0;
        for (int i = 0; i < BURST; i++)
        {
            found += rhLookup(keys[base + i]) >>> 31 ^ 1;
        }
        return found;
    }
}
