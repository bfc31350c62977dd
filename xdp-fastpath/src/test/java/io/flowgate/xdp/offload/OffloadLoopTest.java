package io.flowgate.xdp.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.bpf.LibBpf;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pipeline.dispatch.BurstRing;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookPriority;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.offload.WorkerOffload;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.router.RouterPort;
import io.flowgate.pipeline.router.RouterWorker;
import io.flowgate.pipeline.router.SlowPathBurst;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.bpf.XdpProgram;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.junit.jupiter.api.Test;

/**
 * The whole loop with real parts: a TCP handshake through a router worker (EAL, net_ring ports) with conntrack and its
 * {@link WorkerOffload}, the {@link OffloadAgent} putting the flow into the real {@code fg_flows}, packets through
 * {@code fg_fastpath} by BPF_PROG_TEST_RUN (ingress: lo, so the worker's ingress port maps to ifindex 1), the fold
 * back into the conntrack entry, and a FIN through the worker taking the flow out of the map.
 */
class OffloadLoopTest
{
    private static final String VETH = "xo1a";
    private static final int HOST_A = 0x0A010002;
    private static final int HOST_B = 0x0A020002;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_IN = 0x02_00_00_00_01_01L;
    private static final long MAC_OUT = 0x02_00_00_00_02_02L;

    private static void ip(final String... args) throws IOException, InterruptedException
    {
        final String[] command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    /** An IPv4 + TCP packet (no options) with valid checksums. */
    static byte[] tcp(final int src, final int dst, final int sport, final int dport, final int flags, final long seq, final long ack)
    {
        final byte[] p = new byte[40];
        p[0] = 0x45;
        p[3] = 40;
        p[8] = 64;
        p[9] = 6;
        put32(p, 12, src);
        put32(p, 16, dst);
        put16(p, 10, checksum(p, 0, 20, 0));
        put16(p, 20, sport);
        put16(p, 22, dport);
        put32(p, 24, (int)seq);
        put32(p, 28, (int)ack);
        p[32] = 0x50;
        p[33] = (byte)flags;
        put16(p, 34, 65535);
        final long pseudo = (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + 6 + 20;
        put16(p, 36, checksum(p, 20, 20, pseudo));
        return p;
    }

    private static int checksum(final byte[] b, final int from, final int length, final long initial)
    {
        long sum = initial;
        for (int k = from; k < from + length; k += 2)
        {
            sum += ((b[k] & 0xFF) << 8) | (b[k + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    private static void put16(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 8);
        b[at + 1] = (byte)v;
    }

    private static void put32(final byte[] b, final int at, final int v)
    {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    private static byte[] frame(final long dstMac, final long srcMac, final byte[] ip)
    {
        final byte[] f = new byte[14 + ip.length];
        for (int k = 0; k < 6; k++)
        {
            f[k] = (byte)(dstMac >>> (40 - 8 * k));
            f[6 + k] = (byte)(srcMac >>> (40 - 8 * k));
        }
        f[12] = 0x08;
        System.arraycopy(ip, 0, f, 14, ip.length);
        return f;
    }

    private static void send(final Mempool pool, final MbufBurst scratch, final RouterWorker worker, final DpdkPort port, final DpdkPort other,
                             final byte[] frame)
    {
        final long m = pool.alloc();
        final long data = Mbuf.data(m);
        for (int k = 0; k < frame.length; k++)
        {
            Memory.putByte(data + k, frame[k]);
        }
        Mbuf.length(m, frame.length);
        scratch.mbuf(0, m);
        scratch.count(1);
        assertEquals(1, scratch.transmitOrFree(port, 0));
        worker.doWork();
        for (final DpdkPort p : new DpdkPort[] {port, other})
        {
            if (scratch.receive(p, 0) > 0)
            {
                scratch.free();
            }
        }
    }

    @Test
    void shouldOffloadFoldAndRemoveAConnectionEndToEnd() throws Exception
    {
        TestEal.get();
        if (Files.exists(Path.of("/sys/class/net", VETH)))
        {
            ip("link", "del", VETH);
        }
        ip("link", "add", VETH, "type", "veth", "peer", "name", "xo1b");
        final Mempool pool = Mempool.createPktmbufPool("offload-loop", 1023, 32, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
        try (Arena arena = Arena.ofShared();
             DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             DpdkPort out = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
             RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
             NeighbourTable neighbours = new NeighbourTable(64, 1);
             XdpProgram program = XdpProgram.load(64))
        {
            ip("link", "set", VETH, "up");
            ip("link", "set", "xo1b", "up");
            final int ifindex = Integer.parseInt(Files.readString(Path.of("/sys/class/net", VETH, "ifindex")).trim());
            program.attach(out.id(), ifindex, XdpMode.AUTO); // the egress port's devmap slot
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            assertTrue(resolver.addPermanent(out.id(), HOST_B, MAC_B, 0));
            assertTrue(resolver.addPermanent(in.id(), HOST_A, MAC_A, 0));
            final RouterPort[] ports = {
                new RouterPort(in, MAC_IN, 1500, new PortAddresses(in.id(), MAC_IN, 1).addIpv4(0x0A010001)),
                new RouterPort(out, MAC_OUT, 1500, new PortAddresses(out.id(), MAC_OUT, 1).addIpv4(0x0A020001))};
            final IntHashSet local = new IntHashSet();
            local.add(0x0A010001);
            local.add(0x0A020001);
            final HookChain chain = new HookChain(32);
            final Conntrack conntrack = new Conntrack(0, ConntrackConfig.defaults(1024), new HugePageTableMemory(), new CtEventRing(1 << 10),
                new CtMailbox(), 32, 2, 1);
            final CtClock clock = new CtClock();
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "nf_conntrack_in", new ConntrackHook(conntrack, true, clock, 0, 32));
            final ConfirmHook confirm = new ConfirmHook(conntrack);
            chain.register(Hook.INPUT, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            final RouterWorker worker = new RouterWorker("loop", 0, ports, local, routes.ipv4(), routes.nextHops(), neighbours, chain,
                new BurstRing<>(4, () -> new SlowPathBurst(arena, 32)), null, 32);
            worker.conntrack(conntrack, clock, confirm);
            final WorkerOffload side = new WorkerOffload(arena, 0, conntrack, clock, 64, 256);
            worker.offload(side);
            final int[] ifindexByPort = new int[Math.max(in.id(), out.id()) + 1];
            ifindexByPort[in.id()] = 1; // the test run's ingress device (lo) stands for port "in"
            ifindexByPort[out.id()] = ifindex;
            final MbufBurst scratch = new MbufBurst(arena, 32);
            try (OffloadAgent agent = OffloadAgent.create(new WorkerOffload[] {side}, program, ifindexByPort, OffloadConfig.DEFAULT))
            {
                agent.enabled(true);
                send(pool, scratch, worker, in, out, frame(MAC_IN, MAC_A, tcp(HOST_A, HOST_B, 40000, 80, 0x02, 1000, 0)));
                send(pool, scratch, worker, out, in, frame(MAC_OUT, MAC_B, tcp(HOST_B, HOST_A, 80, 40000, 0x12, 5000, 1001)));
                send(pool, scratch, worker, in, out, frame(MAC_IN, MAC_A, tcp(HOST_A, HOST_B, 40000, 80, 0x10, 1001, 5001)));
                agent.doWork(System.nanoTime());
                assertEquals(1, agent.counter(OffloadAgent.OFFLOADED));
                final int idx = conntrack.table().lookup(new CtKey().ipv4(0, 6, HOST_A, HOST_B, 40000, 80), clock.nowMs()) >>> 1;
                final long record = conntrack.table().record(idx);
                assertTrue((CtRecord.status(record) & CtStatus.OFFLOAD) != 0);
                final long javaPackets = CtRecord.packets(record, 0);

                final byte[] ack = frame(MAC_IN, MAC_A, tcp(HOST_A, HOST_B, 40000, 80, 0x10, 1001, 5001));
                try (Arena a = Arena.ofConfined())
                {
                    final MemorySegment data = a.allocate(ack.length);
                    MemorySegment.copy(ack, 0, data, ValueLayout.JAVA_BYTE, 0, ack.length);
                    final MemorySegment result = a.allocate(256);
                    final int[] length = new int[1];
                    for (int k = 0; k < 5; k++)
                    {
                        assertEquals(4, LibBpf.testRun(program.programFd(true), data, result, length), "XDP_REDIRECT: a fast-path hit");
                    }
                    assertEquals((byte)(MAC_B >>> 40), result.get(ValueLayout.JAVA_BYTE, 0), "next hop's MAC written");
                }
                final Thread owner = Thread.ofPlatform().start(() ->
                {
                    while (side.appliedSync() == 0)
                    {
                        worker.doWork(); // the worker's loop: folds applied in housekeeping
                    }
                });
                assertTrue(agent.syncNow(5_000_000_000L));
                owner.join();
                assertEquals(javaPackets + 5, CtRecord.packets(record, 0), "the fast path's packets in the conntrack entry");
                assertEquals(1, side.counter(WorkerOffload.FOLDS));

                send(pool, scratch, worker, in, out, frame(MAC_IN, MAC_A, tcp(HOST_A, HOST_B, 40000, 80, 0x11, 1001, 5001)));
                assertEquals(0, CtRecord.status(record) & CtStatus.OFFLOAD, "FIN: back to Java");
                agent.doWork(System.nanoTime());
                assertEquals(1, agent.counter(OffloadAgent.REMOVED));
                assertEquals(0, program.flows().forEach(f -> { }), "the map is empty");
            }
            finally
            {
                worker.onClose();
                conntrack.table().close();
            }
        }
        finally
        {
            pool.close();
            ip("link", "del", VETH);
        }
    }
}
