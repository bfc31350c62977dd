package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv6Flyweight;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A dual-stack {@link RouterWorker} burst through the real EAL, as {@link RouterWorkerBenchmark} does for IPv4
 * alone: 32 routable 64-byte UDP frames injected into a loopback {@code net_ring} port, routed (connected
 * route, permanent neighbour) into {@code net_null}. {@code route6}: IPv6 frames; {@code route4}: IPv4 frames
 * through the same dual-stack worker (the IPv6 stages must cost IPv4 nothing); {@code injectAndDrop6}: the
 * injection alone, so that {@code route6 - injectAndDrop6} is the IPv6 routing work.
 * <p>
 * Run: {@code perf/jmh RouterWorkerIpv6Benchmark}; reported per packet; the allocation rate must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class RouterWorkerIpv6Benchmark
{
    private static final int BURST = 32;
    private static final int FRAME = 64;
    private static final long NET_1 = 0xFD00_0001_0000_0000L;
    private static final long NET_2 = 0xFD00_0002_0000_0000L;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;

    private RouterBenchRig rig;
    private RouterWorker worker;
    private UdpFlowGenerator generator4;
    private long template6;
    private RouterBenchRig.Writer writer4;
    private RouterBenchRig.Writer writer6;

    @Setup(Level.Trial)
    public void setUp()
    {
        rig = new RouterBenchRig("router6", BURST);
        rig.routes.addConnected("fd00:1::/64", rig.in.id());
        rig.routes.addConnected("fd00:2::/64", rig.out.id());
        rig.resolver.addPermanent(rig.out.id(), 0x0A020002, MAC_B, 0);
        rig.resolver.addPermanent6(rig.out.id(), NET_2, 2, MAC_B, 0);
        final RouterPort[] ports = {
            new RouterPort(rig.in, MAC_IN, 1500, new PortAddresses(rig.in.id(), MAC_IN, 2).addIpv4(0x0A010001).addIpv6(NET_1, 1).addLinkLocal()),
            new RouterPort(rig.out, MAC_OUT, 1500,
                new PortAddresses(rig.out.id(), MAC_OUT, 2).addIpv4(0x0A020001).addIpv6(NET_2, 1).addLinkLocal())};
        final IntHashSet local = new IntHashSet();
        local.add(0x0A010001);
        local.add(0x0A020001);
        final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(rig.arena, BURST));
        worker = new RouterWorker("jmh6", 0, ports, local, rig.routes.ipv4(), rig.routes.ipv6(), Router.localIpv6(ports),
            rig.routes.nextHops(), rig.neighbours, new HookChain(BURST), slow, null, BURST);
        generator4 = new UdpFlowGenerator(new UdpFlowGenerator.Config(BURST, FRAME, 0x02_00_00_00_00_0AL, MAC_IN, 0x0A010002,
            0x0A020002, 1024, 80));
        template6 = rig.arena.allocate(FRAME).address();
        writeUdp6(template6);
        writer4 = (m, i) -> generator4.write(Mbuf.data(m), i); // once: nothing is allocated per burst
        writer6 = (m, i) ->
        {
            Memory.copy(template6, Mbuf.data(m), FRAME);
            return FRAME;
        };
    }

    /** fd00:1::2 -> fd00:2::2, UDP, 64 bytes in all (the UDP checksum is left 0: routers do not read it). */
    private static void writeUdp6(final long frame)
    {
        final int payload = FRAME - EthernetFlyweight.HEADER_LENGTH - Ipv6Flyweight.HEADER_LENGTH;
        Memory.fill(frame, FRAME, (byte)0);
        EthernetFlyweight.putDstMac(frame, MAC_IN);
        EthernetFlyweight.putSrcMac(frame, 0x02_00_00_00_00_0AL);
        Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        Memory.putIntBE(ip, Ipv6Flyweight.VERSION << 28);
        Memory.putShortBE(ip + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, payload);
        Memory.putByte(ip + Ipv6Flyweight.NEXT_HEADER_OFFSET, (byte)IpProtocol.UDP);
        Memory.putByte(ip + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)64);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET, NET_1);
        Memory.putLongBE(ip + Ipv6Flyweight.SRC_ADDRESS_OFFSET + 8, 2);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET, NET_2);
        Memory.putLongBE(ip + Ipv6Flyweight.DST_ADDRESS_OFFSET + 8, 2);
        final long udp = ip + Ipv6Flyweight.HEADER_LENGTH;
        Memory.putShortBE(udp, 1024);
        Memory.putShortBE(udp + 2, 80);
        Memory.putShortBE(udp + 4, payload);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        final long rx = worker.counter(RouterWorker.RX);
        final long tx = worker.counter(RouterWorker.TX);
        worker.onClose();
        rig.close();
        if (tx != rx)
        {
            throw new IllegalStateException("not a routing benchmark: " + rx + " received, " + tx + " transmitted");
        }
    }

    private void injectBurst(final boolean ipv6)
    {
        rig.inject(ipv6 ? writer6 : writer4);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int route6()
    {
        injectBurst(true);
        return worker.doWork();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int route4()
    {
        injectBurst(false);
        return worker.doWork();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int injectAndDrop6()
    {
        injectBurst(true);
        return rig.drain();
    }
}
