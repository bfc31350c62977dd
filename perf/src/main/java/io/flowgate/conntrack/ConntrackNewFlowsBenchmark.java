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
 * The table's share of {@code perf/bench conntrack-udp}'s CPS part: a fresh table (capacity 4M, index sized for
 * 64k and growing online) takes {@code flows} new UDP flows once, each a missed lookup, an allocate and a
 * confirm, with the owner's poll once per burst of 32 as a worker would. Single shot per fork-fresh table, so
 * growth steps, first touch of records and index memory are all inside the measurement. Reported per new
 * connection; {@code failures} must stay 0.
 * <p>
 * Run: {@code perf/jmh ConntrackNewFlowsBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class ConntrackNewFlowsBenchmark
{
    private static final int BURST = 32;
    private static final int NOW_MS = 1_000;
    static final int FLOWS = 2_000_000;

    @Param({"4194304"})
    public int capacity;

    @Param({"65536"})
    public int initialCapacity;

    /** Whether the table's slabs are made resident before the flows arrive ({@link ConntrackTable#prefault}). */
    @Param({"false", "true"})
    public boolean prefault;

    private ConntrackTableRig rig;
    private ConntrackTable table;
    private final CtStats stats = new CtStats();
    private final CtKey[] keys = new CtKey[BURST];
    private final CtKey reply = new CtKey();
    private final int[] results = new int[BURST];
    private long nextFlow;
    public long failures;

    @Setup(Level.Iteration)
    public void setUp()
    {
        rig = new ConntrackTableRig();
        table = new ConntrackTable(new ConntrackTable.Config(capacity, 1024, initialCapacity, 2, 0x1234_5678_9ABCL), rig, null, stats);
        if (prefault)
        {
            table.prefault();
        }
        for (int i = 0; i < BURST; i++)
        {
            keys[i] = new CtKey();
        }
    }

    @TearDown(Level.Iteration)
    public void tearDown()
    {
        table.close();
        rig.close();
        if (failures != 0)
        {
            throw new IllegalStateException(failures + " inserts failed");
        }
    }

    @Benchmark
    @OperationsPerInvocation(FLOWS)
    public int newFlows()
    {
        final ConntrackTable table = this.table;
        final CtKey[] keys = this.keys;
        final int[] results = this.results;
        int work = 0;
        for (int done = 0; done < FLOWS; done += BURST)
        {
            for (int i = 0; i < BURST; i++)
            {
                ConntrackTableRig.original(nextFlow + i, keys[i]);
            }
            table.lookupBurst(keys, BURST, NOW_MS, results);
            for (int i = 0; i < BURST; i++)
            {
                if (results[i] != ConntrackTable.NONE)
                {
                    failures++;
                    continue;
                }
                final int index = table.allocate(keys[i], ConntrackTableRig.reply(nextFlow + i, reply), NOW_MS, 0);
                if (index == ConntrackTable.NONE || !table.confirm(index))
                {
                    failures++;
                }
            }
            nextFlow += BURST;
            work += table.poll(NOW_MS);
        }
        return work;
    }
}
