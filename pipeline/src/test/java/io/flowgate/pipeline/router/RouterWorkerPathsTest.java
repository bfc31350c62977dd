package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router worker has two ways through a burst after routing: one fused pass when INPUT, FORWARD and
 * POSTROUTING have no handler, and the stage-by-stage passes otherwise. The same mix of packets, one of each
 * outcome, goes through both (the staged run with an ACCEPT-everything handler on FORWARD, which no packet
 * can tell from no handler): each packet must end the same way, byte for byte, and the way this test expects.
 */
class RouterWorkerPathsTest
{
    private static final int HOST_A = 0x0A010002;        // 10.1.0.2, behind port "in"
    private static final int HOST_B = 0x0A020002;        // 10.2.0.2, behind port "out", a permanent neighbour
    private static final int ROUTER_A = 0x0A010001;      // 10.1.0.1, the router's own
    private static final int BEHIND_GATEWAY = 0x0A030005; // 10.3.0.5, via 10.2.0.9 which never answered
    private static final int UNROUTED = 0x0A090909;      // 10.9.9.9
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;
    private static final int OUT_MTU = 1000;
    /** As a destination to {@link #packet}: keep the generator's (HOST_B). */
    private static final int KEEP = 0;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router-paths", 1023, 32, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    /** What became of the packets: transmitted frames per port, slow-path hand-offs, worker counters. */
    private record Outcome(List<String> sentOut, List<String> sentIn, List<String> slowPath, long rx, long tx, long dropped, long toSlowPath)
    {
    }

    @Test
    void shouldEndEveryPacketAlikeWithAndWithoutHandlersAfterRouting()
    {
        final int baseline = pool.inUse();
        final Outcome fused = run(false);
        final Outcome staged = run(true);
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");

        // Within a burst the two paths hand packets to the slow path in a different order; what matters is what.
        fused.slowPath().sort(null);
        staged.slowPath().sort(null);
        assertEquals(staged, fused);
        assertEquals(sorted(List.of(
            "reason=" + SlowPathBurst.TIME_EXCEEDED + " ttl=1 port=in",   // answered through the port it came in on
            "reason=" + SlowPathBurst.TIME_EXCEEDED + " ttl=0 port=in",
            "reason=" + SlowPathBurst.NO_ROUTE + " ttl=64 port=in",
            "reason=" + SlowPathBurst.LOCAL + " ttl=64 port=in",          // for the box: not decremented
            "reason=" + SlowPathBurst.LOCAL + " ttl=64 port=in",          // limited broadcast
            "reason=" + SlowPathBurst.FRAGMENTATION_NEEDED + " ttl=63 argument=" + OUT_MTU + " port=in",
            "reason=" + SlowPathBurst.FRAGMENT + " ttl=63 argument=" + OUT_MTU + " port=out",
            "reason=" + SlowPathBurst.RESOLVE + " ttl=63 argument=" + 0x0A020009 + " port=out",
            "reason=" + SlowPathBurst.ARP + " ttl=- port=in")),
            fused.slowPath());
        assertEquals(2, fused.sentOut().size(), "the two forwardable packets: " + fused);
        assertEquals(0, fused.sentIn().size());
        assertEquals(13, fused.rx());
        assertEquals(2, fused.tx());
        assertEquals(2, fused.dropped(), "bad checksum and runt");
        assertEquals(9, fused.toSlowPath());
    }

    private static Outcome run(final boolean handlerOnForward)
    {
        try (Arena arena = Arena.ofConfined();
             DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             DpdkPort out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
             NeighbourTable neighbours = new NeighbourTable(64, 1))
        {
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            routes.addStatic("10.3.0.0/24", "10.2.0.9");
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            assertTrue(resolver.addPermanent(out.id(), HOST_B, MAC_B, 0));
            final RouterPort[] ports = {
                new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 1).addIpv4(ROUTER_A)),
                new RouterPort(out, MAC_OUT, OUT_MTU, new PortAddresses(out.id(), MAC_OUT, 1).addIpv4(0x0A020001))};
            final IntHashSet local = new IntHashSet();
            local.add(ROUTER_A);
            local.add(0x0A020001);
            final HookChain hooks = new HookChain(32);
            if (handlerOnForward)
            {
                hooks.register(Hook.FORWARD, HookPriority.FILTER, "accept-all", (hook, burst, packets, count, verdicts) ->
                {
                    for (int k = 0; k < count; k++)
                    {
                        verdicts[packets[k]] = Verdict.ACCEPT;
                    }
                });
            }
            final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            // The worker polls "in" only; what it sends out of either port waits in that loopback ring for this test.
            final RouterWorker worker = new RouterWorker("paths", 0, new RouterPort[] {ports[0], ports[1]}, local, routes.ipv4(),
                routes.nextHops(), neighbours, hooks, slow, null, 32);
            inject(arena, in, out);
            worker.doWork();
            final List<String> slowPath = new ArrayList<>();
            SlowPathBurst s;
            while ((s = slow.poll()) != null)
            {
                for (int i = 0; i < s.count(); i++)
                {
                    final String port = s.port[i] == in.id() ? "in" : s.port[i] == out.id() ? "out" : "unknown " + s.port[i];
                    slowPath.add(describe(s.mbufs.mbuf(i), s.reason[i], s.argument[i]) + " port=" + port);
                }
                s.mbufs.free();
                slow.release(s);
            }
            final Outcome outcome = new Outcome(drain(arena, out), drain(arena, in), slowPath, worker.counter(RouterWorker.RX),
                worker.counter(RouterWorker.TX), worker.counter(RouterWorker.DROPPED), worker.counter(RouterWorker.TO_SLOW_PATH));
            worker.onClose();
            return outcome;
        }
    }

    /** One packet per outcome, sent into "in" so that the worker receives them as one burst. */
    private static void inject(final Arena arena, final DpdkPort in, final DpdkPort out)
    {
        final UdpFlowGenerator small = new UdpFlowGenerator(new UdpFlowGenerator.Config(1, 64, MAC_A, MAC_IN, HOST_A, HOST_B, 1024, 80));
        final UdpFlowGenerator big = new UdpFlowGenerator(new UdpFlowGenerator.Config(1, 1200, MAC_A, MAC_IN, HOST_A, HOST_B, 1024, 80));
        final MbufBurst tx = new MbufBurst(arena, 16);
        final int n = 13;
        assertTrue(pool.allocBulk(tx.address(), n));
        int k = 0;
        packet(tx, k++, small, KEEP, -1, false);                 // forwarded
        packet(tx, k++, small, KEEP, 1, false);                  // TTL 1
        packet(tx, k++, small, KEEP, 0, false);                  // TTL 0
        packet(tx, k++, small, UNROUTED, -1, false);           // no route
        packet(tx, k++, small, ROUTER_A, -1, false);           // for the box
        packet(tx, k++, small, KEEP, -1, false);                 // forwarded again
        packet(tx, k++, small, 0xFFFF_FFFF, -1, false);        // limited broadcast: the box's
        packet(tx, k++, big, KEEP, -1, true);                    // too big, DF
        packet(tx, k++, big, KEEP, -1, false);                   // too big, may fragment
        packet(tx, k++, small, BEHIND_GATEWAY, -1, false);     // next hop not resolved
        final int badChecksum = k++;
        packet(tx, badChecksum, small, KEEP, -1, false);
        final long badIp = Mbuf.data(tx.mbuf(badChecksum)) + EthernetFlyweight.HEADER_LENGTH;
        Memory.putShortBE(badIp + Ipv4Flyweight.CHECKSUM_OFFSET, Memory.getShortBE(badIp + Ipv4Flyweight.CHECKSUM_OFFSET) ^ 0x5555);
        Mbuf.length(tx.mbuf(k++), 10);                         // runt
        final long arp = Mbuf.data(tx.mbuf(k));                // an ARP frame (its body does not matter to the worker)
        Mbuf.length(tx.mbuf(k++), small.write(arp, 0));
        Memory.putShortBE(arp + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_ARP);
        assertEquals(n, k);
        tx.count(n);
        assertEquals(n, tx.transmitOrFree(in, 0));
    }

    /** Writes the generator's frame into mbuf {@code i}, then sets destination ({@link #KEEP}: leave), TTL (-1: leave) and DF. */
    private static void packet(final MbufBurst tx, final int i, final UdpFlowGenerator gen, final int dst, final int ttl, final boolean df)
    {
        final long m = tx.mbuf(i);
        final long frame = Mbuf.data(m);
        Mbuf.length(m, gen.write(frame, 0));
        final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
        final Ipv4Flyweight v4 = new Ipv4Flyweight().wrap(ip);
        if (dst != KEEP)
        {
            Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, dst);
        }
        if (ttl >= 0)
        {
            v4.ttl(ttl);
        }
        final int flags = Memory.getShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET);
        Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET,
            df ? flags | Ipv4Flyweight.FLAG_DONT_FRAGMENT : flags & ~Ipv4Flyweight.FLAG_DONT_FRAGMENT);
        v4.updateHeaderChecksum();
    }

    private static List<String> drain(final Arena arena, final DpdkPort port)
    {
        final List<String> frames = new ArrayList<>();
        final MbufBurst rx = new MbufBurst(arena, 32);
        final int n = rx.receive(port, 0);
        for (int i = 0; i < n; i++)
        {
            final long m = rx.mbuf(i);
            final byte[] bytes = new byte[Mbuf.dataLength(m)];
            final long data = Mbuf.data(m);
            for (int b = 0; b < bytes.length; b++)
            {
                bytes[b] = Memory.getByte(data + b);
            }
            final long ip = data + EthernetFlyweight.HEADER_LENGTH;
            assertEquals(MAC_B, EthernetFlyweight.getDstMac(data));
            assertEquals(MAC_OUT, EthernetFlyweight.getSrcMac(data));
            assertEquals(0, io.flowgate.pmd.checksum.Checksum.checksum(ip, 20), "header checksum still valid");
            frames.add(java.util.HexFormat.of().formatHex(bytes));
        }
        rx.free();
        return frames;
    }

    private static String describe(final long m, final int reason, final int argument)
    {
        final long frame = Mbuf.data(m);
        final String ttl = Memory.getShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET) == EthernetFlyweight.ETHER_TYPE_IPV4
            ? Integer.toString(Memory.getUnsignedByte(frame + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.TTL_OFFSET)) : "-";
        return "reason=" + reason + " ttl=" + ttl + (argument != 0 ? " argument=" + argument : "");
    }

    private static List<String> sorted(final List<String> list)
    {
        final List<String> copy = new ArrayList<>(list);
        copy.sort(null);
        return copy;
    }
}
