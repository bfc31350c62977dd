package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.os.Affinity;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.defrag.Ipv4Reassembler;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.IntHashSet;
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
 * One {@link RouterWorker} burst through the real EAL: 32 routable 64-byte frames are written into mbufs and
 * sent into a loopback {@code net_ring} port, then the worker receives, routes (connected route, permanent
 * neighbour) and transmits them into {@code net_null}. {@code injectAndDrop} does the same injection and
 * receive but frees the burst instead of routing it: the difference between the two is the router's work.
 * With {@code defrag=true} the worker has its {@link Ipv4DefragHook} on PREROUTING, as {@code Router.start}
 * sets it up: the same bursts (no fragment in them) show what defragmentation costs the packets it leaves alone.
 * <p>
 * Run: {@code perf/jmh RouterWorkerBenchmark}; reported per packet; the allocation rate must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RouterWorkerBenchmark
{
    private static final int BURST = 32;
    private static final int HOST_A = 0x0A010002;
    private static final int HOST_B = 0x0A020002;

    private Eal eal;
    private Mempool pool;
    private DpdkPort in;
    private DpdkPort out;
    private RouteTable routes;
    private NeighbourTable neighbours;
    private RouterWorker worker;
    private Arena arena;
    private MbufBurst inject;
    private MbufBurst drain;
    private UdpFlowGenerator generator;
    private Ipv4DefragHook defragHook;
    private BurstRing<SlowPathBurst> slow;

    @Param({"false", "true"})
    public boolean defrag;

    @Setup(Level.Trial)
    public void setUp()
    {
        eal = Eal.init(List.of("-l", "0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix=fg-jmh-router-" + ProcessHandle.current().pid(),
            "--log-level=lib.eal:error", "--vdev=net_ring0", "--vdev=net_null0,no-rx=1"));
        Affinity.pinCurrentThread(Runtime.getRuntime().availableProcessors() - 1);
        eal.registerCurrentThread();
        pool = Mempool.createPktmbufPool("jmh-router", 8191, 256, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
        in = DpdkPort.open(EthDev.portByName("net_ring0"), PortConfig.DEFAULT, pool);
        out = DpdkPort.open(EthDev.portByName("net_null0"), PortConfig.DEFAULT, pool);
        routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
        routes.addConnected("10.1.0.0/24", in.id());
        routes.addConnected("10.2.0.0/24", out.id());
        neighbours = new NeighbourTable(64, 1);
        new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1), NeighbourHandler.discarding())
            .addPermanent(out.id(), HOST_B, 0x02_00_00_00_00_0BL, 0);
        final RouterPort[] ports = {
            new RouterPort(in, 0x02_00_00_00_01_01L, 1500, new PortAddresses(in.id(), 0x02_00_00_00_01_01L, 1).addIpv4(0x0A010001)),
            new RouterPort(out, 0x02_00_00_00_02_02L, 1500, new PortAddresses(out.id(), 0x02_00_00_00_02_02L, 1).addIpv4(0x0A020001))};
        final IntHashSet local = new IntHashSet();
        local.add(0x0A010001);
        local.add(0x0A020001);
        arena = Arena.ofShared();
        slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, BURST));
        final HookChain chain = new HookChain(BURST);
        worker = new RouterWorker("jmh", 0, ports, local, routes.ipv4(), routes.nextHops(), neighbours, chain, slow, null,
            BURST);
        if (defrag)
        {
            defragHook = new Ipv4DefragHook(new Ipv4Reassembler(Router.REASSEMBLY_BUFFERS), pool, BURST);
            worker.defrag(defragHook);
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_DEFRAG, "nf_defrag_ipv4", defragHook);
        }
        inject = new MbufBurst(arena, BURST);
        drain = new MbufBurst(arena, BURST);
        generator = new UdpFlowGenerator(new UdpFlowGenerator.Config(BURST, 64, 0x02_00_00_00_00_0AL, 0x02_00_00_00_01_01L, HOST_A,
            HOST_B, 1024, 80));
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        worker.onClose();
        if (defragHook != null)
        {
            defragHook.close();
        }
        in.close();
        out.close();
        routes.close();
        neighbours.close();
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

    private void injectBurst()
    {
        if (!pool.allocBulk(inject.address(), BURST))
        {
            throw new IllegalStateException("pool empty");
        }
        for (int i = 0; i < BURST; i++)
        {
            final long m = inject.mbuf(i);
            Mbuf.length(m, generator.write(Mbuf.data(m), i));
        }
        inject.count(BURST);
        inject.transmitOrFree(in, 0);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int route()
    {
        injectBurst();
        return worker.doWork();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int injectAndDrop()
    {
        injectBurst();
        final int n = drain.receive(in, 0);
        drain.free();
        return n;
    }
}
