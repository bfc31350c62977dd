package io.flowgate.pipeline.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.flowgate.pipeline.rules.queue.PacketQueues;
import io.flowgate.pipeline.rules.queue.QueuedPacket;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nft {@code queue} on the real worker: packets a PREROUTING handler queues go to a Java handler on its own thread,
 * which answers later; meanwhile other packets keep flowing; ACCEPT continues the packet after the handler that
 * queued it (the handlers after it see it once, with the mark the verdict set; the queueing handler does not see it
 * again) and it reaches the transmit port; DROP frees it; a full queue and a queue nobody listens to drop (or, with
 * bypass, accept); packets still queued at shutdown are freed. Every mbuf is accounted for.
 */
class RouterQueueTest
{
    private static final int HOST_A = 0x0A010002;
    private static final int HOST_B = 0x0A020002;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router-queue", 1023, 32, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @Test
    void shouldHoldQueuedPacketsUntilTheirVerdictWhileOthersFlow() throws InterruptedException
    {
        assertTrue(PacketQueues.supported(Hook.PREROUTING, HookPriority.RAW_BEFORE_DEFRAG));
        assertFalse(PacketQueues.supported(Hook.PREROUTING, HookPriority.RAW));
        assertFalse(PacketQueues.supported(Hook.FORWARD, HookPriority.FILTER));
        assertFalse(PacketQueues.supported(Hook.INPUT, HookPriority.FILTER));

        final int baseline = pool.inUse();
        final List<String> queueingSaw = new ArrayList<>();
        final List<String> afterSaw = new ArrayList<>();
        try (Arena arena = Arena.ofShared();
             DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             DpdkPort out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
             NeighbourTable neighbours = new NeighbourTable(64, 1);
             PacketQueues queues = new PacketQueues(1))
        {
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            assertTrue(resolver.addPermanent(out.id(), HOST_B, MAC_B, 0));
            final RouterPort[] ports = {
                new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 1).addIpv4(0x0A010001)),
                new RouterPort(out, MAC_OUT, 1500, new PortAddresses(out.id(), MAC_OUT, 1).addIpv4(0x0A020001))};
            final HookChain hooks = new HookChain(32);
            hooks.register(Hook.PREROUTING, HookPriority.RAW_BEFORE_DEFRAG, "queue", (hook, burst, packets, count, verdicts) ->
            {
                for (int k = 0; k < count; k++)
                {
                    final int i = packets[k];
                    final int dport = dport(burst.l3[i]);
                    queueingSaw.add(Integer.toString(dport));
                    verdicts[i] = switch (dport)
                    {
                        case 2000 -> Verdict.queue(3, false);
                        case 2001 -> Verdict.queue(4, true);    // nobody listens: bypass accepts
                        case 2002 -> Verdict.queue(4, false);   // nobody listens: dropped
                        case 2003 -> Verdict.queue(5, false);   // maxlen 1: the second is refused
                        default -> Verdict.ACCEPT;
                    };
                }
            });
            hooks.register(Hook.PREROUTING, HookPriority.FILTER, "after", (hook, burst, packets, count, verdicts) ->
            {
                for (int k = 0; k < count; k++)
                {
                    final int i = packets[k];
                    afterSaw.add(dport(burst.l3[i]) + " mark=" + Integer.toHexString(burst.mark[i]));
                    verdicts[i] = Verdict.ACCEPT;
                }
            });
            final LinkedBlockingQueue<QueuedPacket> three = new LinkedBlockingQueue<>();
            final LinkedBlockingQueue<QueuedPacket> five = new LinkedBlockingQueue<>();
            queues.listen(3, 16, three::add);
            queues.listen(5, 1, five::add);

            final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final RouterWorker worker = new RouterWorker("queue", 0, new RouterPort[] {ports[0], ports[1]}, new IntHashSet(),
                routes.ipv4(), routes.nextHops(), neighbours, hooks, slow, null, 32);
            worker.queues(queues.worker(0));

            send(arena, in, 2000, 2000, 2001, 2002, 2003, 2003, 2005);
            worker.doWork();
            assertEquals(2, receive(arena, out), "2001 (bypassed) and 2005 went through at once");
            assertEquals(2, hooks.counter(Hook.PREROUTING, HookChain.QUEUE_DROPS), "2002: no listener; 2003: queue full");
            assertEquals(1, hooks.counter(Hook.PREROUTING, HookChain.QUEUE_BYPASSES));
            assertEquals(1, queues.counter(5, "refused"));
            assertEquals(3, queues.worker(0).held());

            final QueuedPacket a = three.poll(10, TimeUnit.SECONDS);
            final QueuedPacket b = three.poll(10, TimeUnit.SECONDS);
            final QueuedPacket c = five.poll(10, TimeUnit.SECONDS);
            assertTrue(a != null && b != null && c != null, "the handlers were called");
            assertEquals(3, a.queueNumber());
            assertEquals(Hook.PREROUTING, a.hook());
            assertEquals(in.id(), a.inPort());
            assertEquals(-1, a.outPort(), "before routing");
            assertEquals(QueuedPacket.IPV4, a.family());
            final byte[] bytes = a.bytes();
            assertEquals(20 + 8 + 18, bytes.length, "the packet from its IP header on");
            assertEquals(0x45, bytes[0] & 0xFF);
            assertEquals(IpProtocol.UDP, bytes[9]);
            assertTrue(a.id() != b.id());

            // Meanwhile, other packets flow.
            send(arena, in, 2005);
            worker.doWork();
            assertEquals(1, receive(arena, out));

            assertTrue(a.accept(0x42));
            assertTrue(b.drop());
            assertTrue(a.drop(), "a second verdict goes into the ring ...");
            worker.doWork();
            assertEquals(1, receive(arena, out), "the accepted packet reached the transmit port");
            assertEquals(1, queues.counter(3, "accepted"));
            assertEquals(1, queues.counter(3, "dropped"));
            assertEquals(1, queues.counter(3, "unknown_verdicts"), "... and is ignored");
            assertEquals(1, queues.worker(0).held(), "the 2003 packet still waits");

            assertEquals(List.of("2000", "2000", "2001", "2002", "2003", "2003", "2005", "2005"), queueingSaw,
                "the queueing handler never sees a reinjected packet again");
            assertEquals(List.of("2001 mark=0", "2005 mark=0", "2005 mark=0", "2000 mark=42"), afterSaw,
                "the next handler sees the accepted packet once, with the verdict's mark");

            worker.onClose();
            queues.close();
            assertEquals(1, queues.counter(5, "freed_at_close"));
            assertFalse(c.accept(), "no verdict after close");
            drain(in);
        }
        assertEquals(baseline, pool.inUse(), "every mbuf transmitted or freed exactly once");
    }

    private static int dport(final long ip)
    {
        return Memory.getShortBE(ip + Ipv4Flyweight.getHeaderLength(ip) + 2);
    }

    private static void send(final Arena arena, final DpdkPort in, final int... dports)
    {
        final MbufBurst tx = new MbufBurst(arena, 32);
        for (int k = 0; k < dports.length; k++)
        {
            final long m = pool.alloc();
            assertTrue(m != 0);
            final long frame = Mbuf.data(m);
            EthernetFlyweight.putDstMac(frame, MAC_IN);
            EthernetFlyweight.putSrcMac(frame, MAC_A);
            Memory.putShortBE(frame + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
            final long ip = frame + EthernetFlyweight.HEADER_LENGTH;
            Memory.fill(ip, 46, (byte)0x5A);
            Memory.putByte(ip, (byte)0x45);
            Memory.putByte(ip + 1, (byte)0);
            Memory.putShortBE(ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, 46);
            Memory.putShortBE(ip + Ipv4Flyweight.ID_OFFSET, k);
            Memory.putShortBE(ip + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 0);
            Memory.putByte(ip + Ipv4Flyweight.TTL_OFFSET, (byte)64);
            Memory.putByte(ip + Ipv4Flyweight.PROTOCOL_OFFSET, (byte)IpProtocol.UDP);
            Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
            Memory.putIntBE(ip + Ipv4Flyweight.SRC_ADDRESS_OFFSET, HOST_A);
            Memory.putIntBE(ip + Ipv4Flyweight.DST_ADDRESS_OFFSET, HOST_B);
            Memory.putShortBE(ip + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(ip, 20));
            final long udp = ip + 20;
            Memory.putShortBE(udp, 40000);
            Memory.putShortBE(udp + 2, dports[k]);
            Memory.putShortBE(udp + 4, 26);
            Memory.putShortBE(udp + 6, 0);
            Mbuf.length(m, EthernetFlyweight.HEADER_LENGTH + 46);
            tx.mbuf(k, m);
        }
        tx.count(dports.length);
        assertEquals(dports.length, tx.transmitOrFree(in, 0));
    }

    /** Frames transmitted out of {@code out} since the last call (checked forwarded: TTL 63, to MAC_B), freed. */
    private static int receive(final Arena arena, final DpdkPort out)
    {
        final MbufBurst rx = new MbufBurst(arena, 32);
        final int n = rx.receive(out, 0);
        for (int i = 0; i < n; i++)
        {
            final long frame = Mbuf.data(rx.mbuf(i));
            assertEquals(MAC_B, EthernetFlyweight.getDstMac(frame));
            assertEquals(63, Memory.getUnsignedByte(frame + EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.TTL_OFFSET),
                "TTL decremented once");
        }
        rx.free();
        return n;
    }

    private static void drain(final DpdkPort port)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MbufBurst rx = new MbufBurst(arena, 32);
            while (rx.receive(port, 0) > 0)
            {
                rx.free();
            }
        }
    }
}
