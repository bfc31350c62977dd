package io.flowgate.pipeline.route;

import java.util.Arrays;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Longest-prefix match with full-size tables: time per looked-up address, single and in bursts of 32.
 * <p>
 * IPv4: 1,000,000 random prefixes in 1.0.0.0-223.255.255.255 with the depth mix of a default-free BGP table
 * (58% /24, 12% /22, 10% /23, 5% /21, 4% /20, 7% /16-/19, 2% /8-/15), plus 2% /25-/32 that a DFZ table would
 * not carry but an internal one does; looked up with uniformly random 32-bit addresses, as DPDK's
 * {@code test_lpm_perf} does (most land in tbl24 alone; setup prints how many reach tbl8 and how many miss).
 * <p>
 * IPv6: 100,000 prefixes, 45% /48, 12% /32, 8% /44, 7% /40, 4% /29-/31, 6% /33-/39, 8% /41-/47 (not /44),
 * 10% /49-/64, grouped as real tables are: inside 20,000 provider /32s drawn from the RIRs' /12s; looked up
 * with addresses inside randomly chosen prefixes (uniform 128-bit addresses would all miss at tbl24).
 * <p>
 * Run: {@code java -jar perf/target/benchmarks.jar -prof gc 'pipeline.route'}; the allocation rate must be
 * 0 B/op. Addresses come from 2^20-entry arrays walked in order, so neither caches nor branch predictors learn
 * them; the 64 MiB tbl24 does not fit any cache on these machines.
 * <p>
 * NOTE: this needs {@code pipeline} among perf's dependencies in {@code perf/pom.xml}, which the branch that
 * added it could not touch. Until then it was compiled and run with {@code javac} and {@code org.openjdk.jmh.Main}
 * on a class path of the module outputs and the JMH jars.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class LpmBenchmark
{
    private static final int BURST = 32;
    private static final int ADDRESSES = 1 << 20;
    private static final int BURSTS = ADDRESSES / BURST;

    @State(Scope.Benchmark)
    public static class Ipv4Table
    {
        static final int PREFIXES = 1_000_000;

        Ipv4Lpm lpm;
        final int[] addresses = new int[ADDRESSES];
        final int[][] bursts = new int[BURSTS][];

        @Setup(Level.Trial)
        public void setUp()
        {
            final SplittableRandom random = new SplittableRandom(1_000_000);
            lpm = new Ipv4Lpm(1 << 16);
            while (lpm.ruleCount() < PREFIXES)
            {
                final int depth = ipv4Depth(random.nextInt(100), random);
                final int prefix = (int)random.nextLong(0x0100_0000L, 0xE000_0000L);
                lpm.add(prefix, depth, random.nextInt(1 << 16));
            }

            int misses = 0;
            int tbl8 = 0;
            for (int i = 0; i < ADDRESSES; i++)
            {
                addresses[i] = random.nextInt();
                misses += lpm.lookup(addresses[i]) == Ipv4Lpm.MISS ? 1 : 0;
            }
            for (int b = 0; b < BURSTS; b++)
            {
                bursts[b] = Arrays.copyOfRange(addresses, b * BURST, (b + 1) * BURST);
            }
            System.out.printf(
                "%nipv4: %d prefixes, %d tbl8 groups in use (%d KiB), %d MiB reserved, THP advised %b; " +
                "%.1f%% of lookups miss%n",
                lpm.ruleCount(), lpm.tbl8GroupsInUse(), lpm.tbl8GroupsInUse(), lpm.reservedBytes() >> 20,
                lpm.hugePagesAdvised(), 100.0 * misses / ADDRESSES);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            lpm.close();
        }

        private static int ipv4Depth(final int percent, final SplittableRandom random)
        {
            if (percent < 58)
            {
                return 24;
            }
            if (percent < 70)
            {
                return 22;
            }
            if (percent < 80)
            {
                return 23;
            }
            if (percent < 85)
            {
                return 21;
            }
            if (percent < 89)
            {
                return 20;
            }
            if (percent < 96)
            {
                return 16 + random.nextInt(4);
            }
            if (percent < 98)
            {
                return 8 + random.nextInt(8);
            }
            return 25 + random.nextInt(8);
        }
    }

    @State(Scope.Benchmark)
    public static class Ipv6Table
    {
        static final int PREFIXES = 100_000;
        static final int PROVIDERS = 20_000;
        static final int[] RIR_SLASH_12 = {0x200, 0x240, 0x260, 0x280, 0x2A0, 0x2C0};

        Ipv6Lpm lpm;
        final long[] hi = new long[ADDRESSES];
        final long[] lo = new long[ADDRESSES];
        final long[][] burstHi = new long[BURSTS][];
        final long[][] burstLo = new long[BURSTS][];

        @Setup(Level.Trial)
        public void setUp()
        {
            final SplittableRandom random = new SplittableRandom(100_000);
            lpm = new Ipv6Lpm(1 << 18);
            final long[] providers = new long[PROVIDERS];
            for (int i = 0; i < PROVIDERS; i++)
            {
                final long slash12 = (long)RIR_SLASH_12[random.nextInt(RIR_SLASH_12.length)] << 52;
                providers[i] = slash12 | (random.nextLong() >>> 12) & 0x000F_FFFF_0000_0000L;
            }

            final long[] prefixHi = new long[PREFIXES];
            final int[] prefixDepth = new int[PREFIXES];
            int count = 0;
            while (count < PREFIXES)
            {
                final int depth = ipv6Depth(random.nextInt(100), random);
                final long prefix = (providers[random.nextInt(PROVIDERS)] | random.nextLong() & 0xFFFF_FFFFL) &
                    maskHi(depth);
                if (lpm.nextHopOf(prefix, 0, depth) == Ipv6Lpm.MISS)
                {
                    lpm.add(prefix, 0, depth, random.nextInt(1 << 16));
                    prefixHi[count] = prefix;
                    prefixDepth[count] = depth;
                    count++;
                }
            }

            long levels = 0;
            for (int i = 0; i < ADDRESSES; i++)
            {
                final int p = random.nextInt(PREFIXES);
                hi[i] = prefixHi[p] | random.nextLong() & ~maskHi(prefixDepth[p]);
                lo[i] = random.nextLong();
                levels += 1 + Math.max(0, (prefixDepth[p] - 24 + 7) / 8);
            }
            for (int b = 0; b < BURSTS; b++)
            {
                burstHi[b] = Arrays.copyOfRange(hi, b * BURST, (b + 1) * BURST);
                burstLo[b] = Arrays.copyOfRange(lo, b * BURST, (b + 1) * BURST);
            }
            System.out.printf(
                "%nipv6: %d prefixes, %d tbl8 groups in use (%d MiB), %d MiB reserved, THP advised %b; " +
                "about %.2f loads per lookup%n",
                lpm.ruleCount(), lpm.tbl8GroupsInUse(), lpm.tbl8GroupsInUse() >> 10, lpm.reservedBytes() >> 20,
                lpm.hugePagesAdvised(), (double)levels / ADDRESSES);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            lpm.close();
        }

        private static int ipv6Depth(final int percent, final SplittableRandom random)
        {
            if (percent < 45)
            {
                return 48;
            }
            if (percent < 57)
            {
                return 32;
            }
            if (percent < 65)
            {
                return 44;
            }
            if (percent < 72)
            {
                return 40;
            }
            if (percent < 76)
            {
                return 29 + random.nextInt(3);
            }
            if (percent < 82)
            {
                return 33 + random.nextInt(7);
            }
            if (percent < 90)
            {
                final int depth = 41 + random.nextInt(6);
                return depth >= 44 ? depth + 1 : depth;
            }
            return 49 + random.nextInt(16);
        }
    }

    /** The first 64 bits of a /depth mask, depth 0..64. */
    static long maskHi(final int depth)
    {
        return depth == 0 ? 0 : -1L << (64 - depth);
    }

    @State(Scope.Thread)
    public static class Cursor
    {
        int next;
        final int[] nextHops = new int[BURST];
    }

    @Benchmark
    public int ipv4Lookup(final Ipv4Table table, final Cursor cursor)
    {
        final int i = cursor.next++ & (ADDRESSES - 1);
        return table.lpm.lookup(table.addresses[i]);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int ipv4LookupBurst(final Ipv4Table table, final Cursor cursor)
    {
        final int b = cursor.next++ & (BURSTS - 1);
        table.lpm.lookupBurst(table.bursts[b], cursor.nextHops, BURST);
        return cursor.nextHops[BURST - 1];
    }

    @Benchmark
    public int ipv6Lookup(final Ipv6Table table, final Cursor cursor)
    {
        final int i = cursor.next++ & (ADDRESSES - 1);
        return table.lpm.lookup(table.hi[i], table.lo[i]);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int ipv6LookupBurst(final Ipv6Table table, final Cursor cursor)
    {
        final int b = cursor.next++ & (BURSTS - 1);
        table.lpm.lookupBurst(table.burstHi[b], table.burstLo[b], cursor.nextHops, BURST);
        return cursor.nextHops[BURST - 1];
    }
}
