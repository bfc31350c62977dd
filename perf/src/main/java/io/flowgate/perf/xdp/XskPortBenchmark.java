package io.flowgate.perf.xdp;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.xsk.XskConfig;
import io.flowgate.xdp.xsk.XskPool;
import io.flowgate.xdp.xsk.XskPort;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One receive burst on an {@link XskPort} and its transmit on a second one (shared {@link XskPool}), with real traffic:
 * perf/lib/xk-udpgen.c sends 64-byte UDP frames into the first port's veth from a namespace for the whole trial.
 * The point is {@code -prof gc}: {@code gc.alloc.rate.norm} must be 0 B/op (the time per op mixes bursts of 0..32
 * packets and system calls, so it is not a throughput figure; perf/bench afxdp-io is).
 * <p>
 * Run as root from the repository root: {@code java --enable-native-access=ALL-UNNAMED -jar perf/target/benchmarks.jar
 * -prof gc XskPortBenchmark}. Creates namespace {@code xkj} and veths {@code xkja*}/{@code xkjb*}, removed at tear-down.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class XskPortBenchmark
{
    private Eal eal;
    private XskPool pool;
    private XskPort in;
    private XskPort out;
    private Arena arena;
    private long burst;
    private Process generator;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        tearDownNet();
        sh("ip", "netns", "add", "xkj");
        for (final String p : List.of("xkja", "xkjb"))
        {
            sh("ip", "link", "add", p + "0", "type", "veth", "peer", "name", p + "1", "netns", "xkj");
            sh("sysctl", "-qw", "net.ipv6.conf." + p + "0.disable_ipv6=1");
            sh("ip", "netns", "exec", "xkj", "sysctl", "-qw", "net.ipv6.conf." + p + "1.disable_ipv6=1");
            sh("ip", "link", "set", p + "0", "up");
            sh("ip", "netns", "exec", "xkj", "ip", "link", "set", p + "1", "up");
        }
        final Path gen = Path.of(System.getProperty("java.io.tmpdir"), "xk-udpgen-" + ProcessHandle.current().pid());
        sh("cc", "-O2", "-o", gen.toString(), "perf/lib/xk-udpgen.c");
        eal = Eal.init(List.of("-l", "0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix=fg-jmh-xsk-" + ProcessHandle.current().pid(),
            "--log-level=lib.eal:error"));
        pool = XskPool.create("jmh-xsk", 8191);
        in = XskPort.open(0, "in", config("xkja0"), pool);
        out = XskPort.open(1, "out", config("xkjb0"), pool);
        arena = Arena.ofShared();
        burst = arena.allocate(8L * 32, 64).address();
        generator = new ProcessBuilder("ip", "netns", "exec", "xkj", gen.toString(), "xkja1", "100000").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static XskConfig config(final String iface)
    {
        return new XskConfig(iface, 1, 0, XskConfig.Bind.AUTO, 1024, 4000, 0, 0, XskConfig.Program.LIBXDP_DEFAULT, XdpMode.AUTO);
    }

    @Benchmark
    public int receiveAndTransmit()
    {
        final int n = in.receive(0, burst, 32);
        final int sent = out.transmit(0, burst, n);
        for (int k = sent; k < n; k++)
        {
            Mbuf.free(Memory.getLong(burst + 8L * k));
        }
        return n;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        System.out.println("in: " + in.stats() + " out: " + out.stats());
        generator.destroy();
        generator.waitFor(5, TimeUnit.SECONDS);
        in.close();
        out.close();
        System.out.println("frames in use after close: " + pool.mempool().inUse());
        pool.close();
        arena.close();
        eal.close();
        tearDownNet();
    }

    private static void tearDownNet() throws IOException, InterruptedException
    {
        run("ip", "link", "del", "xkja0");
        run("ip", "link", "del", "xkjb0");
        run("ip", "netns", "del", "xkj");
    }

    private static void sh(final String... cmd) throws IOException, InterruptedException
    {
        if (run(cmd) != 0)
        {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }

    private static int run(final String... cmd) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }
}
