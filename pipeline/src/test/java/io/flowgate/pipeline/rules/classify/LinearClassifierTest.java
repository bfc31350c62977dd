package io.flowgate.pipeline.rules.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Match.Op;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.RulesetException;

class LinearClassifierTest
{
    static final Origin O = new Origin("t.nft", 1, 1);
    static final List<String> PORTS = Arrays.asList("eth0", null, "eth1", "wan0");

    static Rule rule(final Expr... exprs)
    {
        final List<Expr> all = new ArrayList<>(List.of(exprs));
        all.add(new Expr.Verdict(Expr.VerdictKind.ACCEPT, null, O));
        return new Rule(all, O, null);
    }

    static Match eq(final Field f, final long... values)
    {
        final List<Interval> in = new ArrayList<>();
        for (final long v : values)
        {
            in.add(Interval.of(v));
        }
        return Match.of(f, Op.EQ, -1, in, O);
    }

    static Match neq(final Field f, final long v)
    {
        return Match.of(f, Op.NEQ, -1, List.of(Interval.of(v)), O);
    }

    static Match names(final Field f, final Op op, final String... names)
    {
        return new Match(f, op, -1, List.of(), List.of(names), null, O);
    }

    /** Packet 0: IPv4 TCP 10.0.0.1:1234 -> 10.0.0.2:80 from eth1, new. Packet 1: IPv4 ICMP echo. Packet 2: IPv6 UDP. */
    static RuleKeys keys()
    {
        final RuleKeys k = new RuleKeys(4);
        Arrays.fill(k.oif, RuleKeys.ABSENT);
        k.nfproto[0] = RuleKeys.NFPROTO_IPV4;
        k.iif[0] = 2;
        k.l4proto[0] = 6;
        k.saddr[0] = 0x0A000001;
        k.daddr[0] = 0x0A000002;
        k.sport[0] = 1234;
        k.dport[0] = 80;
        k.tcpFlags[0] = 0x02;
        k.icmpType[0] = RuleKeys.ABSENT;
        k.ctState[0] = 8;
        k.nfproto[1] = RuleKeys.NFPROTO_IPV4;
        k.iif[1] = 0;
        k.l4proto[1] = 1;
        k.sport[1] = RuleKeys.ABSENT;
        k.dport[1] = RuleKeys.ABSENT;
        k.tcpFlags[1] = RuleKeys.ABSENT;
        k.icmpType[1] = 8;
        k.ctState[1] = 2;
        k.metaMark[1] = 0x1234;
        k.nfproto[2] = RuleKeys.NFPROTO_IPV6;
        k.iif[2] = 3;
        k.l4proto[2] = 17;
        k.saddr6Hi[2] = 0x20010db800000000L;
        k.saddr6Lo[2] = 1;
        k.sport[2] = 53;
        k.dport[2] = 5353;
        k.tcpFlags[2] = RuleKeys.ABSENT;
        k.icmpType[2] = RuleKeys.ABSENT;
        k.ctState[2] = 2;
        return k;
    }

    static LinearClassifier compile(final Rule... rules) throws RulesetException
    {
        return LinearClassifier.compile(List.of(rules), PORTS);
    }

    @Test
    void shouldNotMatchAbsentFieldWhateverTheOperator() throws RulesetException
    {
        final LinearClassifier c = compile(rule(neq(Field.TCP_DPORT, 22)), rule(neq(Field.IP_SADDR, 1)), rule());
        final RuleKeys k = keys();
        assertEquals(0, c.next(k, 0, 0));
        assertEquals(1, c.next(k, 1, 0), "ICMP has no tcp dport, not even for !=");
        assertEquals(2, c.next(k, 2, 0), "IPv6 has no ip saddr");
    }

    @Test
    void shouldRequireTheProtocolOfThePortField() throws RulesetException
    {
        final LinearClassifier c = compile(rule(eq(Field.UDP_DPORT, 80)), rule(eq(Field.TCP_DPORT, 80)), rule(eq(Field.UDP_DPORT, 5353)));
        final RuleKeys k = keys();
        assertEquals(1, c.next(k, 0, 0));
        assertEquals(2, c.next(k, 2, 0));
        assertEquals(-1, c.next(k, 1, 0));
    }

    @Test
    void shouldStartAtFrom() throws RulesetException
    {
        final LinearClassifier c = compile(rule(), rule(eq(Field.TCP_DPORT, 81)), rule(), rule());
        final RuleKeys k = keys();
        assertEquals(0, c.next(k, 0, 0));
        assertEquals(2, c.next(k, 0, 1));
        assertEquals(3, c.next(k, 0, 3));
        assertEquals(-1, c.next(k, 0, 4));
    }

    @Test
    void shouldMatchAnyBitAndMasks() throws RulesetException
    {
        final LinearClassifier c = compile(
            rule(Match.of(Field.CT_STATE, Op.ANY_BIT, 2 | 4, List.of(), O)),
            rule(Match.of(Field.META_MARK, Op.EQ, 0xFF, List.of(Interval.of(0x34)), O)),
            rule(Match.of(Field.TCP_FLAGS, Op.ANY_BIT, 0x02, List.of(), O)));
        final RuleKeys k = keys();
        assertEquals(2, c.next(k, 0, 0), "new is not established,related; syn is set");
        assertEquals(0, c.next(k, 1, 0));
        assertEquals(1, c.next(k, 1, 1), "0x1234 & 0xff == 0x34");
    }

    @Test
    void shouldMatchIntervalsAndPrefixes() throws RulesetException
    {
        final Match v4 = Match.of(Field.IP_DADDR, Op.EQ, -1,
            List.of(Interval.prefix(BigInteger.valueOf(0x0A000000L), 8, 32)), O);
        final Match v6 = Match.of(Field.IP6_SADDR, Op.EQ, -1,
            List.of(Interval.prefix(new BigInteger("20010db8000000000000000000000000", 16), 32, 128)), O);
        final Match ports = Match.of(Field.TCP_SPORT, Op.EQ, -1, List.of(Interval.of(1024, 2047)), O);
        final LinearClassifier c = compile(rule(v6), rule(v4, ports));
        final RuleKeys k = keys();
        assertEquals(1, c.next(k, 0, 0));
        assertEquals(0, c.next(k, 2, 0));
        assertEquals(-1, c.next(k, 1, 0));
    }

    @Test
    void shouldResolveInterfaceNames() throws RulesetException
    {
        final LinearClassifier c = compile(rule(names(Field.IIF, Op.EQ, "wan0")), rule(names(Field.IIFNAME, Op.EQ, "eth*")),
            rule(names(Field.IIFNAME, Op.NEQ, "nosuch")), rule(names(Field.OIFNAME, Op.NEQ, "eth0")));
        final RuleKeys k = keys();
        assertEquals(1, c.next(k, 0, 0));
        assertEquals(1, c.next(k, 1, 0));
        assertEquals(0, c.next(k, 2, 0));
        assertEquals(2, c.next(k, 0, 2));
        assertEquals(-1, c.next(k, 0, 3), "no oif yet: oifname != never matches");
    }

    @Test
    void shouldRefuseUnknownInterfaceAtItsOrigin()
    {
        final Origin at = new Origin("x.nft", 7, 21);
        final Rule r = rule(new Match(Field.OIF, Op.EQ, -1, List.of(), List.of("nope"), null, at));
        final RulesetException e = assertThrows(RulesetException.class, () -> LinearClassifier.compile(List.of(r), PORTS));
        assertEquals(at, e.origin());
    }

    @Test
    void shouldLeaveLimitsAndEveryMatchAfterAStatementOrLimitUndecided() throws RulesetException
    {
        final Rule r = new Rule(List.of(eq(Field.META_MARK, 1), new Expr.Limit(10, Expr.Per.SECOND, 5, false, false, O),
            new Expr.MarkSet(Field.META_MARK, 7, O), eq(Field.META_MARK, 7), eq(Field.CT_MARK, 0)), O, null);
        final LinearClassifier c = compile(r);
        assertTrue(c.decided(0, 0));
        assertFalse(c.decided(0, 1));
        assertFalse(c.decided(0, 3), "a mark after its set sees the new value");
        assertFalse(c.decided(0, 4), "after a limit: tested only once the limit took its token");
        final RuleKeys k = keys();
        k.metaMark[0] = 1;
        assertEquals(0, c.next(k, 0, 0));
        assertFalse(c.test(0, 3, k, 0));
        k.metaMark[0] = 7;
        assertTrue(c.test(0, 3, k, 0));
    }
}
