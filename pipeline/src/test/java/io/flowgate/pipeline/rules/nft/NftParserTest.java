package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.NamedSet;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NftParserTest
{
    private static Rule rule(final String family, final String hook, final String text) throws RulesetException
    {
        final Ruleset r = NftParser.parse("t.nft", "table " + family + " t {\n chain c {\n  type filter hook " + hook
            + " priority 0; policy accept;\n  " + text + "\n }\n}\n");
        return r.tables().get(0).chains().get(0).rules().get(0);
    }

    private static Match match(final String text) throws RulesetException
    {
        return (Match)rule("inet", "input", text).exprs().get(0);
    }

    private static void fails(final String text, final String where, final String reason)
    {
        final RulesetException e = assertThrows(RulesetException.class, () -> NftParser.parse("f.nft", text));
        assertTrue(e.getMessage().startsWith("f.nft:" + where + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    private static String inChain(final String family, final String hook, final String rule)
    {
        return "table " + family + " t {\nchain c {\ntype filter hook " + hook + " priority 0;\n" + rule + "\n}\n}\n";
    }

    @Test
    void shouldParseTablesChainsAndBaseChainDeclarations() throws RulesetException
    {
        final Ruleset r = NftParser.parse("t.nft", """
            flush ruleset
            table ip a { chain in { type filter hook input priority filter + 10; policy drop; }
            chain out { type nat hook postrouting priority srcnat - 5; }
            chain raw { type filter hook prerouting priority raw; }
            chain m { type route hook output priority -150; }
            chain plain { return; }
            }
            table ip6 b { chain c { type filter hook forward priority security; } }
            """);
        assertEquals(2, r.tables().size());
        assertEquals(Family.IP, r.tables().get(0).family());
        final List<Chain> chains = r.tables().get(0).chains();
        assertEquals(new io.flowgate.pipeline.rules.model.BaseChain(ChainType.FILTER, Hook.INPUT, 10, true), chains.get(0).base());
        assertEquals(95, chains.get(1).base().priority());
        assertEquals(-300, chains.get(2).base().priority());
        assertEquals(ChainType.ROUTE, chains.get(3).base().type());
        assertNull(chains.get(4).base());
        assertEquals(50, r.tables().get(1).chains().get(0).base().priority());
        assertEquals("t.nft:2:1", r.tables().get(0).origin().toString());
    }

    @Test
    void shouldParseAddressesPrefixesRangesAndSets() throws RulesetException
    {
        assertEquals(List.of(Interval.of(0x0A000000L, 0x0AFFFFFFL)), match("ip saddr 10.1.2.3/8").intervals());
        assertEquals(List.of(Interval.of(0x0A000001L, 0x0A000009L)), match("ip daddr 10.0.0.1-10.0.0.9").intervals());
        final Match six = match("ip6 saddr 2001:db8::/32");
        assertEquals(new BigInteger("20010db8000000000000000000000000", 16), six.intervals().get(0).lo());
        assertEquals(Match.Op.NEQ, match("ip daddr != { 10.0.0.0/24, 10.0.1.0/24 }").op());
        // anonymous interval sets merge like nft's automerge
        assertEquals(List.of(Interval.of(0x0A000000L, 0x0A0001FFL)), match("ip daddr { 10.0.0.0/24, 10.0.1.0/24 }").intervals());
        assertEquals(List.of(Interval.of(22), Interval.of(80), Interval.of(8000, 8080)), match("tcp dport { 8000-8080, 80, ssh }").intervals());
        assertEquals(List.of(Interval.of(0, 1023)), match("tcp dport < 1024").intervals());
        assertEquals(List.of(Interval.of(1024, 65535)), match("udp sport >= 1024").intervals());
        assertEquals(List.of(Interval.of(1001, 0xFFFFFFFFL)), match("meta length > 1000").intervals());
        assertEquals(List.of(Interval.of(0, 100)), match("meta length <= 100").intervals());
        assertEquals(List.of(Interval.of(6), Interval.of(17)), match("meta l4proto { udp, tcp }").intervals());
        assertEquals(List.of(Interval.of(8)), match("icmp type echo-request").intervals());
        assertEquals(List.of(Interval.of(135)), match("icmpv6 type nd-neighbor-solicit").intervals());
        assertEquals(List.of(Interval.of(10)), match("meta nfproto ipv6").intervals());
        assertEquals(List.of(Interval.of(1)), match("ip protocol icmp").intervals());
        assertEquals(Match.Op.NEQ, match("tcp dport ne 22").op());
        assertEquals(Match.Op.EQ, match("tcp dport eq 22").op());
    }

    @Test
    void shouldParseBitmaskOperatorsAndMasks() throws RulesetException
    {
        final Match state = match("ct state established,related");
        assertEquals(Match.Op.ANY_BIT, state.op());
        assertEquals(6, state.mask());
        assertEquals(Match.Op.ANY_BIT, match("tcp flags syn").op());
        final Match masked = match("tcp flags & (syn|ack) == syn");
        assertEquals(18, masked.mask());
        assertEquals(List.of(Interval.of(2)), masked.intervals());
        assertEquals(masked.intervals(), match("tcp flags syn / syn,ack").intervals());
        assertEquals(48, match("ct status & (snat|dnat) != 0").mask());
        assertEquals(Match.Op.ANY_BIT, match("ct status & (snat|dnat) != 0").op());
        final Match none = match("tcp flags ! syn,ack");
        assertEquals(List.of(18L, Match.Op.EQ, List.of(Interval.of(0))), List.of(none.mask(), none.op(), none.intervals()));
        assertEquals(List.of(Interval.of(6)), match("ct state != established | related").intervals());
        final Match exact = match("ct state == new");
        assertEquals(-1L, exact.mask());
        assertEquals(List.of(Interval.of(8)), exact.intervals());
        assertEquals(List.of(Interval.of(2), Interval.of(8)), match("ct state { new, established }").intervals());
        final Match mark = match("meta mark & 0xff == 0x1");
        assertEquals(0xff, mark.mask());
        assertEquals(List.of(Interval.of(1)), mark.intervals());
        assertEquals(List.of(Interval.of(5)), match("ct mark 5").intervals());
        assertEquals(Field.META_MARK, match("mark 5").field());
    }

    @Test
    void shouldParseInterfacesByName() throws RulesetException
    {
        assertEquals(List.of("lan"), match("iifname \"lan\"").names());
        assertEquals(List.of("eth*"), match("oifname eth*").names());
        assertEquals(List.of("lo", "dummy0"), match("iifname { \"dummy0\", \"lo\" }").names());
        assertEquals(Match.Op.NEQ, match("oif != \"wan\"").op());
        assertEquals(Field.IIFNAME, match("meta iifname \"x\"").field());
    }

    @Test
    void shouldParseNamedSetsAndDefines() throws RulesetException
    {
        final Ruleset r = NftParser.parse("t.nft", """
            define NETS = { 10.0.0.0/8, 192.168.0.1-192.168.0.9 }
            define SSH = 22
            table inet t {
              set nets { type ipv4_addr; flags interval; elements = $NETS }
              set ports { type inet_service; elements = { 443, $SSH } }
              set p { type inet_proto; elements = { tcp } }
              set m { type mark; elements = { 0x10 } }
              set v6 { type ipv6_addr; elements = { ::1 } }
              chain c { ip saddr @nets tcp dport @ports accept; tcp dport $SSH accept; ct mark @m meta l4proto @p ip6 daddr @v6 }
            }
            """);
        final NamedSet nets = r.tables().get(0).set("nets");
        assertTrue(nets.interval());
        assertEquals(Field.IP_SADDR, nets.type());
        assertEquals(2, nets.elements().size());
        assertEquals(List.of(Interval.of(22), Interval.of(443)), r.tables().get(0).set("ports").elements());
        final Rule first = r.tables().get(0).chains().get(0).rules().get(0);
        final Match m = (Match)first.exprs().get(0);
        assertEquals("nets", m.setName());
        assertEquals(nets.elements(), m.intervals());
        assertEquals(List.of(Interval.of(22)), ((Match)r.tables().get(0).chains().get(0).rules().get(1).exprs().get(0)).intervals());
    }

    @Test
    void shouldReadCommentsSeparatorsContinuationsAndNestedDefines() throws RulesetException
    {
        final Ruleset r = NftParser.parse("t.nft", """
            # a comment line
            define A = 10.0.0.1
            define B = { $A, 10.0.0.2 }   # a define using another
            table ip t { # after a brace
              chain c {
                ip saddr $B \\
                  counter; accept  # two rules on one line
              }
            }
            """);
        final List<Rule> rules = r.tables().get(0).chains().get(0).rules();
        assertEquals(2, rules.size());
        assertEquals(List.of(Interval.of(0x0A000001L), Interval.of(0x0A000002L)), ((Match)rules.get(0).exprs().get(0)).intervals());
        assertEquals("t.nft:6:5", rules.get(0).origin().toString());
        assertEquals("t.nft:7:16", rules.get(1).origin().toString());
    }

    @Test
    void shouldDropAProtocolOrFamilyMatchThatALaterMatchImpliesAsNftDoes() throws RulesetException
    {
        assertEquals(List.of(Field.UDP_DPORT), fields(rule("inet", "input", "meta l4proto udp udp dport 53")));
        assertEquals(List.of(Field.IP_SADDR, Field.UDP_DPORT), fields(rule("inet", "input", "meta l4proto udp ip saddr 1.1.1.1 udp dport 53")));
        assertEquals(List.of(Field.IP_SADDR), fields(rule("inet", "input", "meta nfproto ipv4 ip saddr 1.1.1.1")));
        assertEquals(List.of(Field.META_NFPROTO, Field.TCP_DPORT), fields(rule("inet", "input", "meta nfproto ipv4 meta l4proto tcp tcp dport 2")));
        assertEquals(3, rule("inet", "input", "meta l4proto udp counter udp dport 53").exprs().size());
        assertEquals(2, rule("inet", "input", "meta l4proto != udp udp dport 53").exprs().size());
    }

    private static List<Field> fields(final Rule rule)
    {
        final List<Field> out = new java.util.ArrayList<>();
        for (final Expr e : rule.exprs())
        {
            out.add(((Match)e).field());
        }
        return out;
    }

    @Test
    void shouldParseStatementsAndVerdicts() throws RulesetException
    {
        assertEquals(new Expr.Limit(10, Expr.Per.MINUTE, 5, false, false, null).rate(),
            ((Expr.Limit)rule("ip", "input", "limit rate 10/minute").exprs().get(0)).rate());
        final Expr.Limit burst = (Expr.Limit)rule("ip", "input", "limit rate over 3/second burst 7 packets").exprs().get(0);
        assertTrue(burst.over());
        assertEquals(7, burst.burst());
        final Expr.Limit bytes = (Expr.Limit)rule("ip", "input", "limit rate 2 mbytes/second burst 4 kbytes").exprs().get(0);
        assertTrue(bytes.bytes());
        assertEquals(2 * 1024 * 1024, bytes.rate());
        assertEquals(4096, bytes.burst());
        final Expr.Counter c = (Expr.Counter)rule("ip", "input", "counter packets 3 bytes 180").exprs().get(0);
        assertEquals(3, c.packets());
        assertEquals(180, c.bytes());
        final Expr.Log log = (Expr.Log)rule("ip", "input", "log prefix \"x: \" level info").exprs().get(0);
        assertEquals("x: ", log.prefix());
        assertEquals(6, log.level());
        assertEquals(4, ((Expr.Log)rule("ip", "input", "log").exprs().get(0)).level());
        assertEquals(new Expr.MarkSet(Field.META_MARK, 16, null).value(), ((Expr.MarkSet)rule("ip", "input", "meta mark set 0x10").exprs().get(0)).value());
        assertEquals(Field.CT_MARK, ((Expr.MarkSet)rule("ip", "input", "ct mark set 7").exprs().get(0)).field());
        assertTrue(rule("ip", "prerouting", "notrack").exprs().get(0) instanceof Expr.Notrack);
        assertEquals(Expr.VerdictKind.DROP, ((Expr.Verdict)rule("ip", "input", "drop").exprs().get(0)).kind());
        final Rule commented = rule("ip", "input", "tcp dport 22 accept comment \"ssh\"");
        assertEquals("ssh", commented.comment());
        assertEquals(Expr.VerdictKind.ACCEPT, ((Expr.Verdict)commented.verdict()).kind());
    }

    @Test
    void shouldParseRejectForms() throws RulesetException
    {
        assertEquals(new Expr.Reject(Expr.RejectKind.ICMP, 3, null).code(), ((Expr.Reject)rule("ip", "input", "reject").exprs().get(0)).code());
        assertEquals(Expr.RejectKind.ICMPV6, ((Expr.Reject)rule("ip6", "input", "reject").exprs().get(0)).kind());
        assertEquals(Expr.RejectKind.ICMPX, ((Expr.Reject)rule("inet", "input", "reject").exprs().get(0)).kind());
        assertEquals(13, ((Expr.Reject)rule("ip", "input", "reject with icmp type admin-prohibited").exprs().get(0)).code());
        assertEquals(1, ((Expr.Reject)rule("ip6", "input", "reject with icmpv6 admin-prohibited").exprs().get(0)).code());
        assertEquals(3, ((Expr.Reject)rule("inet", "input", "reject with icmpx type admin-prohibited").exprs().get(0)).code());
        assertEquals(Expr.RejectKind.TCP_RESET, ((Expr.Reject)rule("inet", "input", "tcp dport 1 reject with tcp reset").exprs().get(1)).kind());
        // nft's implicit dependency
        final Rule reset = rule("ip", "input", "reject with tcp reset");
        assertEquals(List.of(Interval.of(6)), ((Match)reset.exprs().get(0)).intervals());
        assertEquals(Field.META_L4PROTO, ((Match)reset.exprs().get(0)).field());
        assertEquals(2, reset.exprs().size());
    }

    @Test
    void shouldParseQueueForms() throws RulesetException
    {
        assertEquals(new Expr.Queue(0, 0, false, false, null).to(), ((Expr.Queue)rule("ip", "input", "queue").exprs().get(0)).to());
        final Expr.Queue q = (Expr.Queue)rule("ip", "input", "queue num 2-5 bypass fanout").exprs().get(0);
        assertEquals(List.of(2, 5, true, true), List.of(q.from(), q.to(), q.bypass(), q.fanout()));
        final Expr.Queue f = (Expr.Queue)rule("ip", "input", "queue flags bypass,fanout to 1-3").exprs().get(0);
        assertEquals(List.of(1, 3, true, true), List.of(f.from(), f.to(), f.bypass(), f.fanout()));
    }

    @Test
    void shouldParseNatStatements() throws Exception
    {
        final Ruleset r = NftParser.parse("t.nft", """
            table inet t {
              chain post { type nat hook postrouting priority srcnat;
                ip saddr 10.0.0.0/8 snat ip to 1.2.3.4-1.2.3.8
                meta l4proto tcp snat ip to 1.2.3.4:1000-2000 fully-random,persistent
                masquerade random
                meta l4proto udp masquerade to :1024-2047
              }
              chain pre { type nat hook prerouting priority dstnat;
                tcp dport 80 dnat ip to 10.0.0.2:8080
                tcp dport 81 redirect to :3128
                redirect
              }
            }
            """);
        final List<Rule> post = r.tables().get(0).chains().get(0).rules();
        final Expr.Nat a = (Expr.Nat)post.get(0).exprs().get(1);
        assertEquals(List.of(0x01020304, 0x01020308, -1, -1), List.of(a.addressMin(), a.addressMax(), a.portMin(), a.portMax()));
        final Expr.Nat b = (Expr.Nat)post.get(1).exprs().get(1);
        assertEquals(List.of(1000, 2000, Expr.NAT_FULLY_RANDOM | Expr.NAT_PERSISTENT), List.of(b.portMin(), b.portMax(), b.flags()));
        assertEquals(Expr.NAT_RANDOM, ((Expr.Nat)post.get(2).exprs().get(0)).flags());
        final Expr.Nat redirect = (Expr.Nat)r.tables().get(0).chains().get(1).rules().get(1).exprs().get(1);
        assertEquals(3128, redirect.portMin());
        final Expr.Nat snat4 = (Expr.Nat)NftParser.parse("t", "table ip t { chain p { type nat hook postrouting priority 100; snat to 9.9.9.9; } }")
            .tables().get(0).chains().get(0).rules().get(0).exprs().get(0);
        assertEquals(0x09090909, snat4.addressMin());
    }

    @Test
    void shouldRefuseWhatIsNotSupportedWithItsPlace()
    {
        fails("table bridge b { }", "1:7", "table family bridge is not supported");
        fails("include \"x.nft\"", "1:1", "include is not supported");
        fails("table ip t {\n  map m { type ipv4_addr : mark; }\n}", "2:3", "map in a table is not supported");
        fails(inChain("ip", "input", "tcp dport vmap { 22 : accept }"), "4:11", "vmap is not supported");
        fails(inChain("ip", "input", "quota 10 mbytes"), "4:1", "quota is not supported");
        fails(inChain("ip", "input", "ct helper \"ftp\""), "4:4", "ct helper is not supported");
        fails(inChain("ip", "input", "ip ttl 1 drop"), "4:4", "ip ttl is not supported");
        fails(inChain("ip", "input", "meter m { ip saddr limit rate 1/second }"), "4:1", "meter is not supported");
        fails("table ip t {\n  set s { type ipv4_addr . inet_service; }\n}", "2:26", "concatenation is not supported");
        fails(inChain("ip", "input", "log group 1"), "4:5", "log group is not supported");
        fails(inChain("ip", "input", "meta mark set ct mark"), "4:15", "meta mark set ct is not supported");
        fails(inChain("ip", "input", "ip saddr . tcp dport { 1.1.1.1 . 22 }"), "4:10", "concatenation is not supported");
        fails("flush table ip t", "1:7", "flush table is not supported");
    }

    @Test
    void shouldRefuseSyntaxErrorsWithTheirPlace()
    {
        fails("table ip t {\nchain c {\n", "3:1", "chain c is not closed");
        fails(inChain("ip", "input", "tcp dport 99999"), "4:11", "out of range");
        fails(inChain("ip", "input", "ip saddr 10.0.0.256"), "4:10", "not an IPv4 address");
        fails(inChain("ip", "input", "tcp dport nosuchservice"), "4:11", "not a port number or service name");
        fails(inChain("ip", "input", "ct state bogus"), "4:10", "unknown ct state value 'bogus'");
        fails(inChain("ip", "input", "accept drop"), "4:8", "statement after a verdict");
        fails(inChain("ip", "input", "tcp dport 2000-1000"), "4:11", "reversed");
        fails(inChain("ip", "input", "tcp dport $P"), "4:11", "undefined variable $P");
        fails(inChain("ip", "input", "log prefix \"abc"), "4:12", "unterminated string");
        fails(inChain("ip", "input", "limit rate 10/fortnight"), "4:12", "unknown time unit");
    }

    @Test
    void shouldRefuseSemanticErrorsWithTheirPlace()
    {
        fails("table ip t { }\ntable ip t { }", "2:1", "table ip t already exists");
        fails("table ip t {\nchain c { }\nchain c { }\n}", "3:1", "chain c already exists");
        fails("table ip t {\nset s { type mark; }\nset s { type mark; }\n}", "3:1", "set s already exists");
        fails(inChain("ip", "input", "jump nowhere"), "4:1", "chain nowhere does not exist");
        fails(inChain("ip", "input", "ip saddr @nope"), "4:1", "set @nope does not exist");
        fails("table ip t {\nset s { type inet_service; }\nchain c { ip saddr @s; }\n}", "3:11", "holds inet_service");
        fails("table ip t {\nchain a { jump b; }\nchain b { goto a; }\n}", "3:11", "jump loop: a -> b -> a");
        fails("table ip t {\nchain a { type filter hook input priority 0; }\nchain b { jump a; }\n}", "3:11", "to base chain a");
        fails(inChain("ip6", "input", "ip saddr 1.2.3.4"), "4:1", "ip saddr is not valid in an ip6 table");
        fails(inChain("ip6", "input", "icmp type echo-request"), "4:1", "icmp type is not valid in an ip6 table");
        fails(inChain("ip", "input", "icmpv6 type echo-request"), "4:1", "icmpv6 type is not valid in an ip table");
        fails(inChain("inet", "input", "ip saddr 1.2.3.4 ip6 daddr ::1"), "4:18", "conflicting protocols");
        fails(inChain("inet", "input", "tcp dport 1 udp sport 2"), "4:13", "conflicting protocols");
        fails(inChain("inet", "input", "meta l4proto tcp udp dport 1"), "4:18", "conflicting protocols");
        fails(inChain("inet", "input", "meta nfproto ipv6 ip saddr 1.1.1.1"), "4:19", "conflicting protocols");
        fails(inChain("ip", "input", "meta nfproto ipv4"), "4:1", "meta nfproto is only useful in the inet family");
        fails("table ip t { chain c { type nat hook forward priority 0; } }", "1:29", "a nat chain cannot be at hook forward");
        fails("table ip t { chain c { type route hook input priority 0; } }", "1:29", "a route chain cannot be at hook input");
        fails("table ip t { chain c { type nat hook prerouting priority srcnat; } }", "1:58", "'srcnat' is an invalid priority");
        fails(inChain("ip", "postrouting", "reject"), "4:1", "reject is not allowed at hook postrouting");
        fails(inChain("ip", "input", "snat to 1.2.3.4"), "4:1", "snat is only allowed in a nat chain");
        fails("table ip t {\nchain p { type nat hook prerouting priority dstnat; jump x; }\nchain x { masquerade; }\n}", "3:11",
            "masquerade is not allowed at hook prerouting (chain x, reached from base chain p");
        fails("table ip t { chain p { type nat hook postrouting priority 100; dnat to 1.1.1.1; } }", "1:64", "dnat is not allowed at hook postrouting");
        fails("table ip t { chain p { type nat hook output priority 100; redirect to :1; } }", "1:59", "needs a transport protocol match");
        fails(inChain("inet", "input", "udp dport 1 reject with tcp reset"), "4:13", "you cannot use tcp reset with this protocol");
        fails(inChain("ip", "input", "reject with icmpx port-unreachable"), "4:1", "icmpx is only valid in an inet table");
        fails(inChain("ip6", "input", "reject with icmp port-unreachable"), "4:1", "icmp is not valid in an ip6 table");
        fails("table inet t { chain p { type nat hook postrouting priority 100; snat to 1.1.1.1; } }", "1:71", "needs its family");
        fails("table ip t {\nset s { type ipv4_addr; elements = { 10.0.0.0/8 } }\n}", "2:36", "needs 'flags interval'");
        fails("table ip t {\nset s { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 10.1.0.0/16 } }\n}", "2:52", "conflicting");
        fails("table ip t {\nchain c { policy drop; }\n}", "2:11", "not a base chain");
        fails("table ip fwd { }", "1:10", "'fwd' is a keyword of nft and cannot be a table name");
        fails("table ip t { chain counter { } }", "1:20", "'counter' is a keyword of nft");
    }
}
