package io.flowgate.pipeline.rules.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Match.Op;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.RulesetException;

/** Random ClassBench-style chains and packets: {@link ChainClassifier} finds what {@link LinearClassifier} finds. */
class ChainClassifierPropertyTest
{
    private static final Origin O = new Origin("p.nft", 1, 1);
    private static final List<String> PORTS = Arrays.asList("eth0", "eth1", null, "wan0", "wan1", "lo");
    private static final long[] NETS = {0x0A000000L, 0x0A010000L, 0xC0A80000L, 0xC0A80100L, 0xAC100000L, 0xFFFFFF00L, 0};
    private static final int[] PORT_POOL = {0, 22, 53, 80, 443, 1023, 1024, 5353, 8080, 65535};

    private final SplittableRandom rnd = new SplittableRandom(0x5EED);

    @Test
    void shouldAgreeWithTheLinearScanOnRandomChains() throws RulesetException
    {
        final StringBuilder built = new StringBuilder();
        int deep = 0;
        int misses = 0;
        for (int round = 0; round < 60; round++)
        {
            final int n = round < 40 ? 1 + rnd.nextInt(80) : 100 + rnd.nextInt(900);
            final List<Rule> rules = new ArrayList<>();
            for (int r = 0; r < n; r++)
            {
                rules.add(randomRule());
            }
            final LinearClassifier linear = LinearClassifier.compile(rules, PORTS);
            final ChainClassifier fast = ChainClassifier.compile(rules, PORTS);
            assertEquals(n, fast.size());
            built.append(fast.describe());
            final RuleKeys keys = new RuleKeys(32);
            final int[] packets = new int[32];
            final int[] result = new int[32];
            for (int batch = 0; batch < 20; batch++)
            {
                for (int p = 0; p < 32; p++)
                {
                    randomPacket(keys, p);
                    packets[p] = 31 - p;
                }
                fast.classify(keys, packets, 32, result);
                for (int p = 0; p < 32; p++)
                {
                    assertEquals(linear.next(keys, p, 0), result[p], "burst, round " + round + " packet " + p);
                    for (int t = 0; t < 4; t++)
                    {
                        final int from = rnd.nextInt(n + 2);
                        assertEquals(linear.next(keys, p, from), fast.next(keys, p, from), "round " + round + " from " + from);
                    }
                    final int first = linear.next(keys, p, 0);
                    deep += first > n / 4 ? 1 : 0;
                    misses += first < 0 ? 1 : 0;
                    if (first >= 0)
                    {
                        assertEquals(linear.next(keys, p, first + 1), fast.next(keys, p, first + 1));
                    }
                }
            }
            for (int r = 0; r < n; r++)
            {
                for (int e = 0; e < rules.get(r).exprs().size(); e++)
                {
                    assertEquals(linear.decided(r, e), fast.decided(r, e));
                }
            }
        }
        // the chains must exercise more than their first rules
        assertEquals(true, deep > 2000, "first matches beyond a quarter of the chain: " + deep);
        assertEquals(true, misses > 100, "misses: " + misses);
        for (int kind = 0; kind < 4; kind++)
        {
            assertEquals(true, built.indexOf("kind=" + kind) >= 0, "no dimension of kind " + kind + " was tested");
        }
        assertEquals(true, built.indexOf("level2=") >= 0, "no second level was tested");
    }

    @Test
    void shouldHandleEmptyChainsAndRulesWithoutMatches() throws RulesetException
    {
        final RuleKeys keys = new RuleKeys(4);
        randomPacket(keys, 0);
        assertEquals(-1, ChainClassifier.compile(List.of(), PORTS).next(keys, 0, 0));
        final List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < 130; i++)
        {
            rules.add(new Rule(List.of(new Expr.Counter(0, 0, O)), O, null));
        }
        final ChainClassifier c = ChainClassifier.compile(rules, PORTS);
        assertEquals(0, c.next(keys, 0, 0));
        assertEquals(129, c.next(keys, 0, 129));
        assertEquals(-1, c.next(keys, 0, 130));
    }

    private Rule randomRule()
    {
        final List<Expr> exprs = new ArrayList<>();
        final int count = rnd.nextInt(40) == 0 ? 0 : 1 + rnd.nextInt(4);
        for (int i = 0; i < count; i++)
        {
            exprs.add(randomExpr());
        }
        exprs.add(new Expr.Verdict(rnd.nextBoolean() ? Expr.VerdictKind.ACCEPT : Expr.VerdictKind.DROP, null, O));
        return new Rule(exprs, O, null);
    }

    private Expr randomExpr()
    {
        final Op op = rnd.nextInt(6) == 0 ? Op.NEQ : Op.EQ;
        switch (rnd.nextInt(17))
        {
            case 0, 1:
                return Match.of(rnd.nextBoolean() ? Field.IP_SADDR : Field.IP_DADDR, op, -1, prefixes(), O);
            case 2, 3:
            {
                final Field f = new Field[] {Field.TCP_SPORT, Field.TCP_DPORT, Field.UDP_SPORT, Field.UDP_DPORT}[rnd.nextInt(4)];
                return Match.of(f, op, -1, ports(), O);
            }
            case 4:
                return Match.of(rnd.nextBoolean() ? Field.META_L4PROTO : Field.IP_PROTOCOL, op, -1,
                    List.of(Interval.of(new int[] {1, 6, 17, 58}[rnd.nextInt(4)])), O);
            case 5:
                return Match.of(Field.CT_STATE, Op.ANY_BIT, 1 + rnd.nextInt(15), List.of(), O);
            case 6:
                return rnd.nextBoolean() ? Match.of(Field.META_MARK, op, -1, List.of(Interval.of(rnd.nextInt(4))), O)
                    : rnd.nextBoolean() ? Match.of(Field.CT_MARK, op, 0xFF, List.of(Interval.of(rnd.nextInt(3))), O)
                    : Match.of(Field.CT_MARK, op, 0xFFFF, List.of(Interval.of(rnd.nextInt(40))), O);
            case 7:
            {
                final Field f = new Field[] {Field.IIF, Field.OIF, Field.IIFNAME, Field.OIFNAME}[rnd.nextInt(4)];
                final String name = f == Field.IIFNAME || f == Field.OIFNAME
                    ? new String[] {"eth*", "wan0", "nosuch", "lo", "*"}[rnd.nextInt(5)]
                    : new String[] {"eth0", "eth1", "wan0", "wan1", "lo"}[rnd.nextInt(5)];
                return new Match(f, op, -1, List.of(), List.of(name), null, O);
            }
            case 8, 9:
            {
                final Field f = rnd.nextBoolean() ? Field.IP6_SADDR : Field.IP6_DADDR;
                final BigInteger base = BigInteger.valueOf(0x20010db8L + rnd.nextInt(2)).shiftLeft(96)
                    .or(BigInteger.valueOf(rnd.nextInt(4)).shiftLeft(64)).or(BigInteger.valueOf(rnd.nextInt(4)));
                return Match.of(f, op, -1, List.of(Interval.prefix(base, new int[] {16, 32, 48, 64, 126, 128}[rnd.nextInt(6)], 128)), O);
            }
            case 10:
                return Match.of(rnd.nextBoolean() ? Field.ICMP_TYPE : Field.ICMPV6_TYPE, op, -1,
                    List.of(Interval.of(new int[] {0, 3, 8, 128}[rnd.nextInt(4)])), O);
            case 11:
                return Match.of(Field.TCP_FLAGS, Op.ANY_BIT, 1 << rnd.nextInt(8), List.of(), O);
            case 12:
                return Match.of(Field.META_LENGTH, op, -1, List.of(Interval.of(rnd.nextInt(40), 40 + rnd.nextInt(1500))), O);
            case 13:
                return new Expr.MarkSet(rnd.nextBoolean() ? Field.META_MARK : Field.CT_MARK, rnd.nextInt(4), O);
            case 14:
                return new Expr.Limit(10, Expr.Per.SECOND, 5, false, false, O);
            case 15:
                return Match.of(Field.META_NFPROTO, op, -1,
                    List.of(Interval.of(rnd.nextBoolean() ? RuleKeys.NFPROTO_IPV4 : RuleKeys.NFPROTO_IPV6)), O);
            default:
                return new Expr.Counter(0, 0, O);
        }
    }

    private List<Interval> prefixes()
    {
        final List<Interval> out = new ArrayList<>();
        final int count = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(3) : 1;
        for (int i = 0; i < count; i++)
        {
            final int len = new int[] {0, 8, 16, 24, 28, 32}[rnd.nextInt(6)];
            final long addr = NETS[rnd.nextInt(NETS.length)] | rnd.nextInt(4);
            out.add(Interval.prefix(BigInteger.valueOf(addr), len, 32));
        }
        return out;
    }

    private List<Interval> ports()
    {
        final List<Interval> out = new ArrayList<>();
        final int count = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(3) : 1;
        for (int i = 0; i < count; i++)
        {
            final int a = PORT_POOL[rnd.nextInt(PORT_POOL.length)];
            final int b = rnd.nextBoolean() ? a : Math.max(a, PORT_POOL[rnd.nextInt(PORT_POOL.length)]);
            out.add(Interval.of(a, b));
        }
        return out;
    }

    private void randomPacket(final RuleKeys k, final int p)
    {
        final boolean v6 = rnd.nextInt(4) == 0;
        k.nfproto[p] = v6 ? RuleKeys.NFPROTO_IPV6 : RuleKeys.NFPROTO_IPV4;
        k.iif[p] = rnd.nextInt(8) - 1;
        k.oif[p] = rnd.nextInt(8) - 1;
        k.l4proto[p] = new int[] {1, 6, 17, 58, 47}[rnd.nextInt(5)];
        k.saddr[p] = (int) (NETS[rnd.nextInt(NETS.length)] + rnd.nextInt(300) - 20);
        k.daddr[p] = (int) (NETS[rnd.nextInt(NETS.length)] + rnd.nextInt(300) - 20);
        k.saddr6Hi[p] = ((0x20010db8L + rnd.nextInt(3)) << 32) | rnd.nextInt(5);
        k.saddr6Lo[p] = rnd.nextInt(6) - 1;
        k.daddr6Hi[p] = ((0x20010db8L + rnd.nextInt(3)) << 32) | rnd.nextInt(5);
        k.daddr6Lo[p] = rnd.nextInt(6) - 1;
        final boolean ports = (k.l4proto[p] == 6 || k.l4proto[p] == 17) && rnd.nextInt(10) != 0;
        k.sport[p] = ports ? PORT_POOL[rnd.nextInt(PORT_POOL.length)] + rnd.nextInt(3) - 1 & 0xFFFF : RuleKeys.ABSENT;
        k.dport[p] = ports ? PORT_POOL[rnd.nextInt(PORT_POOL.length)] + rnd.nextInt(3) - 1 & 0xFFFF : RuleKeys.ABSENT;
        k.tcpFlags[p] = k.l4proto[p] == 6 ? rnd.nextInt(256) : RuleKeys.ABSENT;
        k.icmpType[p] = k.l4proto[p] == 1 || k.l4proto[p] == 58 ? new int[] {0, 3, 8, 128, 129}[rnd.nextInt(5)] : RuleKeys.ABSENT;
        k.ctState[p] = new int[] {1, 2, 4, 8, 64}[rnd.nextInt(5)];
        k.ctStatus[p] = rnd.nextInt(16);
        k.ctMark[p] = rnd.nextInt(4) == 0 ? 0x10100 | rnd.nextInt(3) : rnd.nextInt(4) == 0 ? rnd.nextInt(4) : rnd.nextInt(40);
        k.metaMark[p] = rnd.nextInt(5);
        k.length[p] = 20 + rnd.nextInt(1600);
    }
}
