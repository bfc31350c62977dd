package io.flowgate.pipeline.rules;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.rules.model.BaseChain;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.Table;
import io.flowgate.pmd.header.EthernetFlyweight;

/**
 * One worker's rule engine without ports: a {@link HookChain} with the engine's handlers, packets written into
 * off-heap memory as the worker would have them after parsing (port 0 "in0" 10.0.0.1, port 1 "out1" 198.51.100.1),
 * run through one hook. Also the model builders the tests write rulesets with (the parser is another part).
 */
final class RuleBed implements AutoCloseable
{
    static final Origin O = new Origin("test.nft", 1, 1);
    static final int SLOT = 256;

    final Arena arena = Arena.ofShared();
    final PacketBurst burst = new PacketBurst(arena, 32);
    final HookChain chain = new HookChain(32);
    final RuleEngine engine = new RuleEngine(List.of("in0", "out1"), new boolean[] {true, true});
    final RuleWorker worker = engine.attach(chain);
    private final MemorySegment memory = arena.allocate(32L * SLOT, 64);
    private int count;

    RuleBed()
    {
        engine.nat(null, false, new int[] {0x0A000001, 0xC6336401});
    }

    void clear()
    {
        count = 0;
    }

    /** Adds a packet ({@code l3}: the IP packet) received on {@code inPort}, routed to {@code outPort} (-1: not yet). */
    int add(final byte[] l3, final int inPort, final int outPort)
    {
        final int i = count++;
        final long frame = memory.address() + (long)i * SLOT;
        final boolean v6 = (l3[0] >> 4) == 6;
        final byte[] eth = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, (byte)(v6 ? 0x86 : 0x08), (byte)(v6 ? 0xDD : 0x00)};
        MemorySegment.copy(eth, 0, memory, ValueLayout.JAVA_BYTE, (long)i * SLOT, 14);
        MemorySegment.copy(l3, 0, memory, ValueLayout.JAVA_BYTE, (long)i * SLOT + 14, l3.length);
        burst.frame[i] = frame;
        burst.l3[i] = frame + 14;
        burst.length[i] = 14 + l3.length;
        burst.etherType[i] = v6 ? EthernetFlyweight.ETHER_TYPE_IPV6 : EthernetFlyweight.ETHER_TYPE_IPV4;
        burst.inPort[i] = inPort;
        burst.outPort[i] = outPort;
        burst.verdict[i] = Verdict.ACCEPT;
        burst.mark[i] = 0;
        burst.reject[i] = 0;
        burst.ruleEffects[i] = 0;
        burst.ct[i] = -1;
        burst.ctinfo[i] = ParseStage.NOT_TRACKED_YET;
        burst.flowHash[i] = i * 0x9E3779B1;
        return i;
    }

    /** Runs {@code hook} over the burst as a worker would: the ruleset taken at the burst's start, let go after. */
    void run(final Hook hook)
    {
        burst.count(count);
        worker.enterBurst();
        chain.run(hook, burst);
        worker.park();
    }

    int verdict(final int i)
    {
        return burst.verdict[i] & Verdict.VERDICT_MASK;
    }

    /** {packets, bytes} of the counter of rule {@code rule} of chain {@code chainName} in the running ruleset. */
    long[] counter(final String chainName, final int rule)
    {
        final Ruleset rs = engine.ruleset();
        for (final Table t : rs.tables())
        {
            final Chain c = t.chain(chainName);
            if (c != null)
            {
                final long[] out = new long[2];
                return engine.counters().read(t, c, rule, out) ? out : null;
            }
        }
        return null;
    }

    @Override
    public void close()
    {
        engine.close();
        arena.close();
    }

    // ------------------------------------------------------------------------------------------------------
    // Packets
    // ------------------------------------------------------------------------------------------------------

    static int ip(final String dotted)
    {
        final String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8 | Integer.parseInt(p[3]);
    }

    static byte[] ipv4(final int proto, final String src, final String dst, final byte[] l4)
    {
        final byte[] p = new byte[20 + l4.length];
        p[0] = 0x45;
        put16(p, 2, p.length);
        put16(p, 4, 1);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = (byte)proto;
        put32(p, 12, ip(src));
        put32(p, 16, ip(dst));
        System.arraycopy(l4, 0, p, 20, l4.length);
        return p;
    }

    static byte[] tcp(final String src, final String dst, final int sport, final int dport, final int flags)
    {
        final byte[] t = new byte[20];
        put16(t, 0, sport);
        put16(t, 2, dport);
        t[12] = 0x50;
        t[13] = (byte)flags;
        put16(t, 14, 1024);
        return ipv4(6, src, dst, t);
    }

    static byte[] udp(final String src, final String dst, final int sport, final int dport)
    {
        final byte[] u = new byte[8 + 4];
        put16(u, 0, sport);
        put16(u, 2, dport);
        put16(u, 4, u.length);
        return ipv4(17, src, dst, u);
    }

    static byte[] icmpEcho(final String src, final String dst)
    {
        final byte[] e = new byte[8];
        e[0] = 8;
        return ipv4(1, src, dst, e);
    }

    /** An IPv6 TCP segment from 2001:db8::{src} to 2001:db8::{dst}. */
    static byte[] tcp6(final int src, final int dst, final int sport, final int dport)
    {
        final byte[] p = new byte[40 + 20];
        p[0] = 0x60;
        put16(p, 4, 20);
        p[6] = 6;
        p[7] = 64;
        p[8] = 0x20;
        p[9] = 0x01;
        p[10] = 0x0d;
        p[11] = (byte)0xb8;
        p[23] = (byte)src;
        p[24] = 0x20;
        p[25] = 0x01;
        p[26] = 0x0d;
        p[27] = (byte)0xb8;
        p[39] = (byte)dst;
        put16(p, 40, sport);
        put16(p, 42, dport);
        p[52] = 0x50;
        p[53] = 2;
        return p;
    }

    static void put16(final byte[] b, final int at, final int v)
    {
        b[at] = (byte)(v >>> 8);
        b[at + 1] = (byte)v;
    }

    static void put32(final byte[] b, final int at, final int v)
    {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    // ------------------------------------------------------------------------------------------------------
    // Model builders
    // ------------------------------------------------------------------------------------------------------

    static Match eq(final Field field, final long... values)
    {
        final List<Interval> in = new ArrayList<>();
        for (final long v : values)
        {
            in.add(Interval.of(v));
        }
        return Match.of(field, Match.Op.EQ, -1, in, O);
    }

    static Match prefix(final Field field, final String address, final int length)
    {
        return Match.of(field, Match.Op.EQ, -1, List.of(Interval.prefix(BigInteger.valueOf(ip(address) & 0xFFFF_FFFFL), length, 32)), O);
    }

    static Match iifname(final String name)
    {
        return new Match(Field.IIFNAME, Match.Op.EQ, -1, List.of(), List.of(name), null, O);
    }

    static Match bits(final Field field, final long mask)
    {
        return Match.of(field, Match.Op.ANY_BIT, mask, List.of(), O);
    }

    static Expr.Counter counter()
    {
        return new Expr.Counter(0, 0, O);
    }

    static Expr.Verdict accept()
    {
        return new Expr.Verdict(Expr.VerdictKind.ACCEPT, null, O);
    }

    static Expr.Verdict drop()
    {
        return new Expr.Verdict(Expr.VerdictKind.DROP, null, O);
    }

    static Expr.Verdict ret()
    {
        return new Expr.Verdict(Expr.VerdictKind.RETURN, null, O);
    }

    static Expr.Verdict jump(final String chain)
    {
        return new Expr.Verdict(Expr.VerdictKind.JUMP, chain, O);
    }

    static Expr.Verdict goTo(final String chain)
    {
        return new Expr.Verdict(Expr.VerdictKind.GOTO, chain, O);
    }

    static Rule rule(final Expr... exprs)
    {
        return new Rule(List.of(exprs), O, null);
    }

    static Chain base(final String name, final ChainType type, final Hook hook, final int priority, final boolean policyDrop,
                      final Rule... rules)
    {
        return new Chain(name, new BaseChain(type, hook, priority, policyDrop), List.of(rules), O);
    }

    static Chain filter(final String name, final Hook hook, final boolean policyDrop, final Rule... rules)
    {
        return base(name, ChainType.FILTER, hook, 0, policyDrop, rules);
    }

    static Chain regular(final String name, final Rule... rules)
    {
        return new Chain(name, null, List.of(rules), O);
    }

    static Table table(final Family family, final String name, final Chain... chains)
    {
        return new Table(family, name, List.of(), List.of(chains), O);
    }

    static Ruleset ruleset(final Table... tables)
    {
        return new Ruleset("test.nft", List.of(tables));
    }
}
