package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.defrag.Ipv4Reassembler;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
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

    private RouterBenchRig rig;
    private RouterWorker worker;
    private UdpFlowGenerator generator;
    private Ipv4DefragHook defragHook;
    private RouterBenchRig.Writer writer;

    @Param({"false", "true"})
    public boolean defrag;

    @Setup(Level.Trial)
    public void setUp()
    {
        rig = new RouterBenchRig("router", BURST);
        rig.resolver.addPermanent(rig.out.id(), HOST_B, 0x02_00_00_00_00_0BL, 0);
        final RouterPort[] ports = {
            new RouterPort(rig.in, 0x02_00_00_00_01_01L, 1500, new PortAddresses(rig.in.id(), 0x02_00_00_00_01_01L, 1).addIpv4(0x0A010001)),
            new RouterPort(rig.out, 0x02_00_00_00_02_02L, 1500, new PortAddresses(rig.out.id(), 0x02_00_00_00_02_02L, 1).addIpv4(0x0A020001))};
        final IntHashSet local = new IntHashSet();
        local.add(0x0A010001);
        local.add(0x0A020001);
        final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(rig.arena, BURST));
        final HookChain chain = new HookChain(BURST);
        worker = new RouterWorker("jmh", 0, ports, local, rig.routes.ipv4(), rig.routes.nextHops(), rig.neighbours, chain, slow, null,
            BURST);
        if (defrag)
        {
            defragHook = new Ipv4DefragHook(new Ipv4Reassembler(Router.REASSEMBLY_BUFFERS), rig.pool, BURST);
            worker.defrag(defragHook);
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_DEFRAG, "nf_defrag_ipv4", defragHook);
        }
        generator = new UdpFlowGenerator(new UdpFlowGenerator.Config(BURST, 64, 0x02_00_00_00_00_0AL, 0x02_00_00_00_01_01L, HOST_A,
            HOST_B, 1024, 80));
        writer = (m, i) -> generator.write(Mbuf.data(m), i); // once: nothing is allocated per burst
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        worker.onClose();
        if (defragHook != null)
        {
            defragHook.close();
        }
        rig.close();
    }

    private void injectBurst()
    {
        rig.inject(writer);
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
        return rig.drain();
    }
}
