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
 * Lookups of established UDP flows in bursts of 32 (one by one, and staged over the burst), flows picked at random from the whole table (every
 * lookup misses the caches at 1M and 10M entries, as a worker's traffic over many flows does). Keys come from
 * a pre-generated ring, as the parser would hand them over. Reported per lookup; {@code misses} must stay 0.
 * <p>
 * Run: {@code perf/jmh ConntrackLookupBenchmark} (with {@code -prof gc}: 0 B/op).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx3g"})
public class ConntrackLookupBenchmark
{
    private static final int BURST = 32;
    private static final int KEYS = 1 << 20;
    private static final int NOW_MS = 1_000;

    @Param({"1000000", "10000000"})
    public int entries;

    private ConntrackTableRig rig;
    private ConntrackTable table;
    private final CtStats stats = new CtStats();
    private final int[] src = new int[KEYS];
    private final int[] dst = new int[KEYS];
    private final int[] sport = new int[KEYS];
    private final int[] dport = new int[KEYS];
    private final int[] results = new int[BURST];
    private final CtKey key = new CtKey();
    private final CtKey[] keys = new CtKey[BURST];
    private int cursor;
    public long misses;

    @Setup(Level.Trial)
    public void setUp()
    {
        rig = new ConntrackTableRig();
        final int capacity = entries + entries / 16;
        table = new ConntrackTable(new ConntrackTable.Config(capacity, 1024, capacity, 2, 0x1234_5678_9ABCL), rig, null, stats);
        final CtKey original = new CtKey();
        final CtKey reply = new CtKey();
        for (int flow = 0; flow < entries; flow++)
        {
            final int index = table.allocate(ConntrackTableRig.original(flow, original), ConntrackTableRig.reply(flow, reply),
                NOW_MS, 0);
            CtRecord.expires(table.record(index), Integer.MAX_VALUE / 2);
            if (!table.confirm(index))
            {
                throw new IllegalStateException("clash at flow " + flow);
            }
        }
        for (int i = 0; i < BURST; i++)
        {
            keys[i] = new CtKey();
        }
        final SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < KEYS; i++)
        {
            final int flow = random.nextInt(entries);
            final boolean replyDir = random.nextBoolean();
            final CtKey k = replyDir ? ConntrackTableRig.reply(flow, original) : ConntrackTableRig.original(flow, original);
            src[i] = k.src4();
            dst[i] = k.dst4();
            sport[i] = k.srcPort;
            dport[i] = k.dstPort;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (misses != 0)
        {
            throw new IllegalStateException(misses + " lookups of established flows missed");
        }
        table.close();
        rig.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int lookupEach()
    {
        final ConntrackTable table = this.table;
        final CtKey key = this.key;
        final int base = cursor;
        cursor = (base + BURST) & (KEYS - 1);
        int found = 0;
        for (int i = 0; i < BURST; i++)
        {
            final int at = base + i;
            key.ipv4(0, ConntrackTableRig.UDP, src[at], dst[at], sport[at], dport[at]);
            final int entry = table.lookup(key, NOW_MS);
            results[i] = entry;
            found += entry >>> 31 ^ 1;
        }
        misses += BURST - found;
        return found;
    }

    /** The staged burst lookup ({@link ConntrackTable#lookupBurst}): what the conntrack stage calls. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int lookupBurst()
    {
        final CtKey[] keys = this.keys;
        final int base = cursor;
        cursor = (base + BURST) & (KEYS - 1);
        for (int i = 0; i < BURST; i++)
        {
            final int at = base + i;
            keys[i].ipv4(0, ConntrackTableRig.UDP, src[at], dst[at], sport[at], dport[at]);
        }
        table.lookupBurst(keys, BURST, NOW_MS, results);
        int found = 0;
        for (int i = 0; i < BURST; i++)
        {
            found += results[i] >>> 31 ^ 1;
        }
        misses += BURST - found;
        return found;
    }

    /**
     * The machine's floor for this access pattern, not a lookup: per key one random 8-byte load from the index
     * region and one from the record slab, all independent (what a perfect two-miss lookup could overlap).
     */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public long memoryFloor()
    {
        final int base = cursor;
        cursor = (base + BURST) & (KEYS - 1);
        final long slab = table.record(0);
        final int records = entries;
        long sum = 0;
        for (int i = 0; i < BURST; i++)
        {
            final int at = base + i;
            final long h = ConntrackTableRig.mix(src[at] ^ (long)dst[at] << 32);
            sum += OffHeap.getLong(slab + (((h >>> 32) * records >>> 32) << CtRecord.SHIFT));
            sum += OffHeap.getLong(slab + ((((h & 0xFFFF_FFFFL) * records) >>> 32) << CtRecord.SHIFT) + 64);
        }
        return sum;
    }
}
