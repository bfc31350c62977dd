package io.flowgate.pipeline.router;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.NatPolicy;
import io.flowgate.pipeline.nat.NatRewriter;
import io.flowgate.pipeline.nat.NatRule;
import java.util.List;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
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
 * The full conntrack step per packet inside the router worker: bursts of 32 established UDP flows, picked
 * at random among {@code flows}, injected through {@code net_ring} and routed into {@code net_null} with
 * conntrack ({@code mode=conntrack}: parse, lookup, UDP tracker, counters and refresh, confirmation check), without
 * ({@code mode=off}, the plain router), or with conntrack and SNAT to a pool of 16 addresses ({@code mode=snat}: the
 * source address and port rewritten with incremental IPv4 and UDP checksums, both NAT hooks run). The differences
 * are conntrack's and NAT's costs per packet. Every flow is in the table (and translated) before the measurement.
 * <p>
 * Run: {@code perf/jmh RouterConntrackBenchmark}; per packet; the allocation rate must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RouterConntrackBenchmark
{
    private static final int BURST = 32;
    private static final int HOST_A = 0x0A010002;
    private static final int HOST_B = 0x0A020002;

    @Param({"conntrack", "off", "snat"})
    public String mode;

    @Param({"100000"})
    public int flows;

    private RouterBenchRig rig;
    private RouterWorker worker;
    private Conntrack tracker;
    private UdpFlowGenerator generator;
    private RouterBenchRig.Writer writer;
    private int next;
    private final NatStats stats = new NatStats();

    @Setup(Level.Trial)
    public void setUp()
    {
        rig = new RouterBenchRig("router-ct", BURST);
        rig.resolver.addPermanent(rig.out.id(), HOST_B, 0x02_00_00_00_00_0BL, 0);
        final RouterPort[] ports = {
            new RouterPort(rig.in, 0x02_00_00_00_01_01L, 1500, new PortAddresses(rig.in.id(), 0x02_00_00_00_01_01L, 1).addIpv4(0x0A010001)),
            new RouterPort(rig.out, 0x02_00_00_00_02_02L, 1500, new PortAddresses(rig.out.id(), 0x02_00_00_00_02_02L, 1).addIpv4(0x0A020001))};
        final IntHashSet local = new IntHashSet();
        local.add(0x0A010001);
        local.add(0x0A020001);
        final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(rig.arena, BURST));
        final HookChain chain = new HookChain(BURST);
        worker = new RouterWorker("jmh", 0, ports, local, rig.routes.ipv4(), rig.routes.nextHops(), rig.neighbours, chain, slow, null, BURST);
        if (!"off".equals(mode))
        {
            final CtClock clock = new CtClock();
            tracker = new Conntrack(0, ConntrackConfig.defaults(Math.max(1024, flows * 2)), new HugePageTableMemory(), new CtEventRing(1 << 16),
                new CtMailbox(), BURST, 2, 1);
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "nf_conntrack_in", new ConntrackHook(tracker, true, clock, 0, BURST));
            final ConfirmHook confirm = new ConfirmHook(tracker);
            chain.register(Hook.INPUT, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            worker.conntrack(tracker, clock, confirm);
            if ("snat".equals(mode))
            {
                final NatBinder binder = new NatBinder(tracker, 0, 1, tracker.table().capacity(), stats, 7);
                tracker.binding(binder);
                final NatConfig config = NatConfig.of(new NatRule(NatRule.Kind.SNAT, null, "out", -1, 0, 0, 0, 0, -1, -1, -1, -1,
                    new NatRange(NatRange.MAP_IPS, 0xC6336400, 0xC633640F, 0, 0), "jmh")).withPortNames(List.of("in", "out"));
                final NatPolicy policy = new NatPolicy(config, new int[] {rig.in.id(), rig.out.id()}, new int[] {0x0A010001, 0x0A020001});
                chain.register(Hook.PREROUTING, HookPriority.NAT_DST, "nf_nat_prerouting", new NatHook(NatRewriter.MANIP_DST, tracker, binder, policy));
                final NatHook source = new NatHook(NatRewriter.MANIP_SRC, tracker, binder, policy);
                chain.register(Hook.POSTROUTING, HookPriority.NAT_SRC, "nf_nat_postrouting", source);
                worker.natSource(source);
            }
        }
        generator = new UdpFlowGenerator(new UdpFlowGenerator.Config(flows, 64, 0x02_00_00_00_00_0AL, 0x02_00_00_00_01_01L, HOST_A, HOST_B,
            1024, 80));
        // Once, so nothing is allocated per burst: flow = a pseudo-random walk over all flows (an odd stride).
        writer = (m, i) -> generator.write(Mbuf.data(m), next = (next + 40_503) % flows);
        for (int sent = 0; sent < flows; sent += BURST)
        {
            final int first = sent;
            rig.inject((m, i) -> generator.write(Mbuf.data(m), (first + i) % flows));
            worker.doWork();
        }
        if (tracker != null && tracker.table().size() != flows)
        {
            throw new IllegalStateException("expected " + flows + " entries, table has " + tracker.table().size());
        }
        if ("snat".equals(mode) && stats.translated != flows)
        {
            throw new IllegalStateException("expected " + flows + " translations, NAT made " + stats.translated);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        worker.onClose();
        if (tracker != null)
        {
            tracker.table().close();
        }
        rig.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int route()
    {
        rig.inject(writer);
        return worker.doWork();
    }
}
