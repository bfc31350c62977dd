package io.flowgate.pmd.header;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Header parsing of a burst, stage by stage as the pipeline will run it: validate Ethernet and IPv4 of
 * every packet, then extract the 5-tuple of every packet into the burst's parallel arrays, then rewrite
 * (TTL decrement with incremental checksum). Frames sit in native memory as they would in mbufs.
 * <p>
 * Run: {@code perf/jmh ParseBurstBenchmark}; reported per packet ({@code OperationsPerInvocation}); the
 * allocation rate must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class ParseBurstBenchmark
{
    private static final int BURST = 32;
    private static final int STRIDE = 2048;

    private Arena arena;
    private final long[] frames = new long[BURST];
    private final int[] lengths = new int[BURST];
    private final boolean[] valid = new boolean[BURST];
    private final int[] srcIp = new int[BURST];
    private final int[] dstIp = new int[BURST];
    private final int[] ports = new int[BURST];
    private final int[] protocol = new int[BURST];
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    @Setup(Level.Trial)
    public void setUp()
    {
        arena = Arena.ofConfined();
        final MemorySegment memory = arena.allocate((long)STRIDE * BURST, 64);
        final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.of(BURST, 64));
        for (int i = 0; i < BURST; i++)
        {
            frames[i] = memory.address() + (long)STRIDE * i;
            lengths[i] = generator.write(frames[i], i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int parseBurst()
    {
        final long[] frames = this.frames;
        int accepted = 0;
        for (int i = 0; i < BURST; i++)
        {
            final long ip = frames[i] + EthernetFlyweight.HEADER_LENGTH;
            valid[i] = EthernetFlyweight.getEtherType(frames[i]) == EthernetFlyweight.ETHER_TYPE_IPV4
                && Ipv4Flyweight.isWellFormed(ip, lengths[i] - EthernetFlyweight.HEADER_LENGTH);
        }
        for (int i = 0; i < BURST; i++)
        {
            if (!valid[i])
            {
                continue;
            }
            final long ip = frames[i] + EthernetFlyweight.HEADER_LENGTH;
            final long l4 = ip + Ipv4Flyweight.getHeaderLength(ip);
            srcIp[i] = Memory.getIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET);
            dstIp[i] = Memory.getIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET);
            protocol[i] = Memory.getUnsignedByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET);
            ports[i] = Memory.getIntBE(l4);
            accepted++;
        }
        return accepted;
    }

    /** Forwarding's rewrite: TTL decrement with RFC 1624 checksum update, then restore (so TTL never runs out). */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int decrementTtlBurst()
    {
        int sum = 0;
        for (int i = 0; i < BURST; i++)
        {
            final Ipv4Flyweight ip = ipv4.wrap(frames[i] + EthernetFlyweight.HEADER_LENGTH);
            sum += ip.decrementTtl();
            ip.ttl(UdpFlowGenerator.TTL).updateHeaderChecksum();
        }
        return sum;
    }
}
