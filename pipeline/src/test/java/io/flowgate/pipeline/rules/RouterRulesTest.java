package io.flowgate.pipeline.rules;

import static io.flowgate.pipeline.rules.RuleBed.base;
import static io.flowgate.pipeline.rules.RuleBed.counter;
import static io.flowgate.pipeline.rules.RuleBed.drop;
import static io.flowgate.pipeline.rules.RuleBed.eq;
import static io.flowgate.pipeline.rules.RuleBed.filter;
import static io.flowgate.pipeline.rules.RuleBed.rule;
import static io.flowgate.pipeline.rules.RuleBed.ruleset;
import static io.flowgate.pipeline.rules.RuleBed.table;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.conntrack.ConfirmHook;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtAccess;
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
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.router.RouterPort;
import io.flowgate.pipeline.router.RouterWorker;
import io.flowgate.pipeline.router.SlowPathBurst;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
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
 * The rule engine inside a router worker on the real EAL (a loopback ring port in, a null port out): the worker
 * takes the ruleset at each burst, forward-chain verdicts and counters, notrack in a raw chain keeping conntrack
 * off the packet, no mbuf leaked.
 */
class RouterRulesTest
{
    private static final int HOST_A = 0x0A010002;      // 10.1.0.2
    private static final int HOST_B = 0x0A020002;      // 10.2.0.2
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("router-rules-test", 4095, 64, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    @Test
    void shouldFilterCountAndNotrackInsideTheWorker() throws Exception
    {
        final int baseline = pool.inUse();
        try (Arena arena = Arena.ofConfined())
        {
            final DpdkPort in = DpdkPort.open(TestEal.newPort("net_ring"), PortConfig.DEFAULT, pool);
            final DpdkPort out = DpdkPort.open(TestEal.newPort("net_null", "no-rx=1"), PortConfig.DEFAULT, pool);
            final RouteTable routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
            final NeighbourTable neighbours = new NeighbourTable(64, 1);
            routes.addConnected("10.1.0.0/24", in.id());
            routes.addConnected("10.2.0.0/24", out.id());
            final NeighbourResolver resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1),
                NeighbourHandler.discarding());
            assertTrue(resolver.addPermanent(out.id(), HOST_B, 0x02_00_00_00_00_0BL, 0));
            final RouterPort[] ports = {
                new RouterPort(in, 0x02_00_00_00_01_01L, 1500, new PortAddresses(in.id(), 0x02_00_00_00_01_01L, 1).addIpv4(0x0A010001)),
                new RouterPort(out, 0x02_00_00_00_02_02L, 1500, new PortAddresses(out.id(), 0x02_00_00_00_02_02L, 1).addIpv4(0x0A020001))};
            final IntHashSet local = new IntHashSet();
            local.add(0x0A010001);
            local.add(0x0A020001);
            final BurstRing<SlowPathBurst> slow = new BurstRing<>(4, () -> new SlowPathBurst(arena, 32));
            final HookChain chain = new HookChain(32);
            final HugePageTableMemory memory = new HugePageTableMemory();
            final Conntrack conntrack = new Conntrack(0, ConntrackConfig.defaults(4096), memory, new CtEventRing(1 << 16), new CtMailbox(),
                32, 2, 1);
            final CtClock clock = new CtClock();
            chain.register(Hook.PREROUTING, HookPriority.CONNTRACK, "nf_conntrack_in", new ConntrackHook(conntrack, true, clock, 0, 32));
            final ConfirmHook confirm = new ConfirmHook(conntrack);
            chain.register(Hook.INPUT, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            chain.register(Hook.POSTROUTING, HookPriority.CONNTRACK_CONFIRM, "nf_confirm", confirm);
            final RouterWorker worker = new RouterWorker("test", 0, ports, local, routes.ipv4(), routes.nextHops(), neighbours, chain, slow,
                null, 32);
            worker.conntrack(conntrack, clock, confirm);
            final List<String> names = new ArrayList<>();
            for (int id = 0; id <= Math.max(in.id(), out.id()); id++)
            {
                names.add(id == in.id() ? "in" : id == out.id() ? "out" : null);
            }
            final boolean[] hasIpv4 = new boolean[names.size()];
            hasIpv4[in.id()] = true;
            hasIpv4[out.id()] = true;
            final RuleEngine engine = new RuleEngine(names, hasIpv4);
            final RuleWorker rules = engine.attach(chain);
            rules.conntrack(new CtAccess(conntrack.table()));
            worker.rules(rules);
            try
            {
                engine.load(ruleset(table(Family.IP, "t",
                    base("raw", ChainType.FILTER, Hook.PREROUTING, HookPriority.RAW, false,
                        rule(eq(Field.UDP_DPORT, 53), new Expr.Notrack(RuleBed.O))),
                    filter("fwd", Hook.FORWARD, false,
                        rule(eq(Field.UDP_DPORT, 666), counter(), drop()),
                        rule(RuleBed.bits(Field.CT_STATE, 64), counter()),
                        rule(counter())))));
                send(arena, in, worker, 0, 20, 666);
                send(arena, in, worker, 100, 10, 53);
                send(arena, in, worker, 200, 5, 80);
                assertEquals(15, worker.counter(RouterWorker.TX));
                assertEquals(5, conntrack.stats().insert, "notracked flows get no entry");
                final long[] dropped = new long[2];
                final long[] untracked = new long[2];
                final long[] all = new long[2];
                final var rs = engine.ruleset().tables().get(0);
                engine.counters().read(rs, rs.chain("fwd"), 0, dropped);
                engine.counters().read(rs, rs.chain("fwd"), 1, untracked);
                engine.counters().read(rs, rs.chain("fwd"), 2, all);
                assertEquals(20, dropped[0]);
                assertEquals(10, untracked[0], "ct state untracked");
                assertEquals(15, all[0]);
                assertEquals(0, all[1] % 15, "meta length: every packet the same IP length");
                assertTrue(all[1] / 15 >= 28 && all[1] / 15 <= 64 - 14, "meta length is the IP packet's: " + all[1] / 15);
                // A reload while the worker is idle: it passes the epoch in its duty cycle.
                rules.park();
                engine.load(ruleset(table(Family.IP, "t", filter("fwd", Hook.FORWARD, false, rule(counter())))));
                send(arena, in, worker, 300, 3, 80);
                assertEquals(18, worker.counter(RouterWorker.TX));
                assertArrayEquals(new long[] {18, 18 * all[1] / 15}, counterOf(engine, "fwd", 0), "carried over and counted on");
                // A packet that expires here never reaches FORWARD (ip_forward checks the TTL first): not counted.
                send(arena, in, worker, 400, 2, 80, 1);
                assertEquals(18, worker.counter(RouterWorker.TX));
                assertArrayEquals(new long[] {18, 18 * all[1] / 15}, counterOf(engine, "fwd", 0), "TTL-expired packets not counted");
                int expired = 0;
                for (SlowPathBurst s = slow.poll(); s != null; s = slow.poll())
                {
                    expired += s.count();
                    s.mbufs.free(); // no slow path here: the time-exceeded requests are dropped
                    slow.release(s);
                }
                assertEquals(2, expired, "both went to the slow path for time exceeded");
                assertTrue(!chain.isEmpty(Hook.FORWARD));
                assertEquals(1, chain.registrations(Hook.PREROUTING).size(), "the raw chain's handler is gone");
            }
            finally
            {
                worker.onClose();
                engine.close();
                conntrack.table().close();
                neighbours.close();
                routes.close();
                out.close();
                in.close();
            }
        }
        assertEquals(baseline, pool.inUse(), "no mbuf leaked");
    }

    private static long[] counterOf(final RuleEngine engine, final String chain, final int rule)
    {
        final var t = engine.ruleset().tables().get(0);
        final long[] out = new long[2];
        engine.counters().read(t, t.chain(chain), rule, out);
        return out;
    }

    private static void send(final Arena arena, final DpdkPort in, final RouterWorker worker, final int first, final int count, final int dport)
    {
        send(arena, in, worker, first, count, dport, 64);
    }

    private static void send(final Arena arena, final DpdkPort in, final RouterWorker worker, final int first, final int count, final int dport,
                             final int ttl)
    {
        final UdpFlowGenerator gen = new UdpFlowGenerator(new UdpFlowGenerator.Config(65536, 64, 0x02_00_00_00_00_0AL, 0x02_00_00_00_01_01L,
            HOST_A, HOST_B, 1024, dport));
        final MbufBurst tx = new MbufBurst(arena, 32);
        for (int done = 0; done < count; )
        {
            final int n = Math.min(32, count - done);
            assertTrue(pool.allocBulk(tx.address(), n));
            for (int i = 0; i < n; i++)
            {
                Mbuf.length(tx.mbuf(i), gen.write(Mbuf.data(tx.mbuf(i)), first + done + i));
                final long ip = Mbuf.data(tx.mbuf(i)) + 14;
                while (io.flowgate.pmd.header.Ipv4Flyweight.getTtl(ip) > ttl)
                {
                    io.flowgate.pmd.header.Ipv4Flyweight.decrementTtl(ip);
                }
            }
            tx.count(n);
            assertEquals(n, tx.transmitOrFree(in, 0));
            while (worker.doWork() > 0)
            {
                // drain the ring port
            }
            done += n;
        }
    }
}
