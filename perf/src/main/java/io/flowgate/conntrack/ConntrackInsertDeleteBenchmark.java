package io.flowgate.conntrack;

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
 * New connections at a steady table size: per operation one allocate + confirm of a new flow and one delete of
 * the oldest, with the owner's poll (epoch advance, reclamation, sweep) once per burst of 32, as a worker
 * would. At 10k live connections the table stays in the caches; at 1M every index group and record is a
 * cache miss. Reported per connection; {@code failures} must stay 0. Target: at least 5M/s (at most 200 ns/op).
 * <p>
 * Run: {@code perf/jmh ConntrackInsertDeleteBenchmark} (with {@code -prof gc}: 0 B/op).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class ConntrackInsertDeleteBenchmark
{
    private static final int BURST = 32;
    private static final int NOW_MS = 1_000;

    /** Live connections kept in the table (capacity is twice that). */
    @Param({"10000", "1000000"})
    public int live;

    private ConntrackTableRig rig;
    private ConntrackTable table;
    private final CtStats stats = new CtStats();
    private final CtKey original = new CtKey();
    private final CtKey reply = new CtKey();
    private int[] ring;
    private int head;
    private long nextFlow;
    public long failures;

    @Setup(Level.Trial)
    public void setUp()
    {
        rig = new ConntrackTableRig();
        table = new ConntrackTable(new ConntrackTable.Config(2 * live, 1024, 2 * live, 2, 0x1234_5678_9ABCL), rig, null, stats);
        ring = new int[live];
        for (int i = 0; i < live; i++)
        {
            ring[i] = add();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (failures != 0)
        {
            throw new IllegalStateException(failures + " inserts failed");
        }
        table.close();
        rig.close();
    }

    private int add()
    {
        final long flow = nextFlow++;
        final int index = table.allocate(ConntrackTableRig.original(flow, original), ConntrackTableRig.reply(flow, reply), NOW_MS, 0);
        if (index == ConntrackTable.NONE)
        {
            failures++;
            return index;
        }
        CtRecord.expires(table.record(index), Integer.MAX_VALUE / 2);
        if (!table.confirm(index))
        {
            table.release(index);
            failures++;
            return ConntrackTable.NONE;
        }
        return index;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int insertConfirmDelete()
    {
        final ConntrackTable table = this.table;
        final int[] ring = this.ring;
        int h = head;
        for (int i = 0; i < BURST; i++)
        {
            final int oldest = ring[h];
            if (oldest != ConntrackTable.NONE)
            {
                table.delete(oldest);
            }
            ring[h] = add();
            if (++h == ring.length)
            {
                h = 0;
            }
        }
        head = h;
        return table.poll(NOW_MS);
    }

    private final int[] burstIndexes = new int[BURST];
    private final boolean[] burstOk = new boolean[BURST];

    /**
     * The same work with the burst forms: {@link ConntrackTable#deleteBurst} of the 32 oldest, 32 allocates, one
     * {@link ConntrackTable#confirmBurst}, so that the index misses of the burst overlap.
     */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int insertConfirmDeleteBurst()
    {
        final ConntrackTable table = this.table;
        final int[] ring = this.ring;
        final int[] indexes = burstIndexes;
        final int length = ring.length;
        final int h = head;
        int n = 0;
        for (int i = 0, at = h; i < BURST; i++, at = at + 1 == length ? 0 : at + 1)
        {
            final int oldest = ring[at];
            if (oldest != ConntrackTable.NONE)
            {
                indexes[n++] = oldest;
            }
        }
        table.deleteBurst(indexes, n);
        n = 0;
        for (int i = 0, at = h; i < BURST; i++, at = at + 1 == length ? 0 : at + 1)
        {
            final long flow = nextFlow++;
            final int index = table.allocate(ConntrackTableRig.original(flow, original), ConntrackTableRig.reply(flow, reply), NOW_MS, 0);
            ring[at] = index;
            if (index == ConntrackTable.NONE)
            {
                failures++;
                continue;
            }
            CtRecord.expires(table.record(index), Integer.MAX_VALUE / 2);
            indexes[n++] = index;
        }
        table.confirmBurst(indexes, n, burstOk);
        for (int i = 0; i < n; i++)
        {
            if (!burstOk[i])
            {
                failures++;
            }
        }
        head = (h + BURST) % length;
        return table.poll(NOW_MS);
    }
}
