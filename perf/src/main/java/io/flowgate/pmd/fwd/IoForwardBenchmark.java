package io.flowgate.pmd.fwd;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.os.Affinity;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The burst receive/transmit path through the real DPDK EAL: {@code net_null} generates 64-byte packets
 * on receive and frees them on transmit, so what is measured is flowgate's side of the path (two
 * critical downcalls per burst, the bulk free, the counters) plus DPDK's own null PMD.
 * <p>
 * Run: {@code perf/jmh IoForwardBenchmark} (adds {@code -prof gc}); the allocation rate must be 0 B/op.
 * Throughput is bursts per second; {@code packets} counts packets per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class IoForwardBenchmark
{
    @Param({"32"})
    int burst;

    private Eal eal;
    private Mempool pool;
    private DpdkPort rx;
    private DpdkPort tx;
    private IoForwardAgent agent;
    private Arena arena;
    private MbufBurst mbufs;

    /** Packets moved, reported per second next to the burst rate (JMH auxiliary counters). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Packets
    {
        public long packets;
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        final int cpu = Runtime.getRuntime().availableProcessors() - 1;
        eal = Eal.init(List.of("-l", "0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix=fg-jmh-" + ProcessHandle.current().pid(),
            "--log-level=lib.eal:error", "--vdev=net_null0", "--vdev=net_null1,no-rx=1"));
        Affinity.pinCurrentThread(cpu);
        eal.registerCurrentThread();
        pool = Mempool.createPktmbufPool("jmh", 16383, 256, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
        rx = DpdkPort.open(EthDev.portByName("net_null0"), PortConfig.DEFAULT, pool);
        tx = DpdkPort.open(EthDev.portByName("net_null1"), PortConfig.DEFAULT, pool);
        agent = new IoForwardAgent("jmh", List.of(new Stream(rx, 0, tx, 0)), burst);
        arena = Arena.ofConfined();
        mbufs = new MbufBurst(arena, burst);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        agent.onClose();
        rx.close();
        tx.close();
        final int leaked = pool.inUse();
        pool.close();
        arena.close();
        eal.unregisterCurrentThread();
        eal.close();
        if (leaked != 0)
        {
            throw new IllegalStateException(leaked + " mbufs leaked");
        }
    }

    /** One {@code doWork()} of the io forwarding worker: receive a burst, transmit it, count. */
    @Benchmark
    public int ioForwardDoWork(final Packets packets)
    {
        final int n = agent.doWork();
        packets.packets += n;
        return n;
    }

    /** The raw path under the agent: receive into a burst, transmit, free the rest. */
    @Benchmark
    public int rxTxBurst(final Packets packets)
    {
        final int n = mbufs.receive(rx, 0);
        final int sent = mbufs.transmitOrFree(tx, 0);
        packets.packets += n;
        return sent;
    }

    /** mbuf allocation and free in bulk, the cost under a traffic generator's transmit. */
    @Benchmark
    public long allocFreeBulk(final Packets packets)
    {
        if (!pool.allocBulk(mbufs.address(), burst))
        {
            throw new IllegalStateException("pool empty");
        }
        final long first = mbufs.mbuf(0);
        Mbuf.freeBulk(mbufs.address(), burst);
        packets.packets += burst;
        return first;
    }
}
