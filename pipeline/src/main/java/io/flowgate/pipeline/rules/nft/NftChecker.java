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
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks nft and the kernel make that need no router knowledge: duplicates, unknown jump targets and sets,
 * jump loops, set types against fields, family conflicts, hooks allowed per chain type, and where NAT and reject
 * may stand (the kernel's {@code validate} of nft_nat, nft_masq, nft_redir and nft_reject, applied through jumps as
 * {@code nft_chain_validate} does). {@code notrack} has no such check in Linux 6.18 (loaded at input it is accepted
 * and does nothing, the packet being tracked already); it is accepted everywhere here too.
 */
final class NftChecker
{
    private NftChecker()
    {
    }

    /** {@code type T hook H}: the hooks each chain type registers at (nf_tables' chain types for ip, ip6, inet). */
    static void checkHook(final Family family, final ChainType type, final Hook hook, final Origin at) throws RulesetException
    {
        final boolean ok = switch (type)
        {
            case FILTER -> true;
            case NAT -> hook != Hook.FORWARD;
            case ROUTE -> hook == Hook.OUTPUT;
        };
        if (!ok)
        {
            throw new RulesetException(at, "a " + type.keyword + " chain cannot be at hook " + hook.name().toLowerCase() + " in a "
                + family.keyword + " table");
        }
    }

    /** Elements of a named set: ranges and prefixes need {@code flags interval}; intervals must not overlap. */
    static void checkSetElements(final String name, final boolean interval, final List<Interval> elements, final Origin at)
        throws RulesetException
    {
        final List<Interval> sorted = new ArrayList<>(elements);
        sorted.sort((a, b) -> a.lo().compareTo(b.lo()));
        for (int i = 0; i < sorted.size(); i++)
        {
            if (!interval && !sorted.get(i).isSingle())
            {
                throw new RulesetException(at, "set " + name + ": a range or prefix element needs 'flags interval'");
            }
            if (i > 0 && sorted.get(i).lo().compareTo(sorted.get(i - 1).hi()) <= 0)
            {
                throw new RulesetException(at, "set " + name + ": conflicting (overlapping) elements");
            }
        }
    }

    /** The table with each {@code @set} match carrying that set's elements. */
    static Table resolveSets(final Table table) throws RulesetException
    {
        final Set<String> seen = new HashSet<>();
        for (final NamedSet s : table.sets())
        {
            if (!seen.add(s.name()))
            {
                throw new RulesetException(s.origin(), "set " + s.name() + " already exists in table " + table.name());
            }
        }
        final List<Chain> chains = new ArrayList<>();
        for (final Chain c : table.chains())
        {
            final List<Rule> rules = new ArrayList<>();
            for (final Rule r : c.rules())
            {
                final List<Expr> exprs = new ArrayList<>();
                for (final Expr e : r.exprs())
                {
                    if (e instanceof Match m && m.setName() != null)
                    {
                        final NamedSet set = table.set(m.setName());
                        if (set == null)
                        {
                            throw new RulesetException(m.origin(), "set @" + m.setName() + " does not exist in table " + table.name());
                        }
                        if (domain(set.type()) != domain(m.field()))
                        {
                            throw new RulesetException(m.origin(), "set @" + m.setName() + " holds " + typeName(set.type())
                                + ", not values of " + m.field().keyword);
                        }
                        exprs.add(new Match(m.field(), m.op(), m.mask(), set.elements(), List.of(), m.setName(), m.origin()));
                    }
                    else
                    {
                        exprs.add(e);
                    }
                }
                rules.add(new Rule(exprs, r.origin(), r.comment()));
            }
            chains.add(new Chain(c.name(), c.base(), rules, c.origin()));
        }
        return new Table(table.family(), table.name(), table.sets(), chains, table.origin());
    }

    /** The field whose values a set type holds (the model's {@link NamedSet#type}). */
    static Field domain(final Field field)
    {
        return switch (field)
        {
            case IP_SADDR, IP_DADDR -> Field.IP_SADDR;
            case IP6_SADDR, IP6_DADDR -> Field.IP6_SADDR;
            case TCP_SPORT, TCP_DPORT, UDP_SPORT, UDP_DPORT -> Field.TCP_DPORT;
            case META_L4PROTO, IP_PROTOCOL -> Field.META_L4PROTO;
            case META_MARK, CT_MARK -> Field.META_MARK;
            default -> field;
        };
    }

    static String typeName(final Field setType)
    {
        return switch (domain(setType))
        {
            case IP_SADDR -> "ipv4_addr";
            case IP6_SADDR -> "ipv6_addr";
            case TCP_DPORT -> "inet_service";
            case META_L4PROTO -> "inet_proto";
            case META_MARK -> "mark";
            default -> setType.keyword;
        };
    }

    static void check(final Ruleset ruleset) throws RulesetException
    {
        final Set<String> tables = new HashSet<>();
        for (final Table t : ruleset.tables())
        {
            if (!tables.add(t.family().keyword + " " + t.name()))
            {
                throw new RulesetException(t.origin(), "table " + t.family().keyword + " " + t.name() + " already exists");
            }
            checkTable(t);
        }
    }

    private static void checkTable(final Table table) throws RulesetException
    {
        final Set<String> names = new HashSet<>();
        for (final Chain c : table.chains())
        {
            if (!names.add(c.name()))
            {
                throw new RulesetException(c.origin(), "chain " + c.name() + " already exists in table " + table.name());
            }
        }
        for (final Chain c : table.chains())
        {
            for (final Rule r : c.rules())
            {
                checkRule(table, r);
            }
        }
        // jump loops and where statements may stand, through jumps
        for (final Chain c : table.chains())
        {
            if (c.isBase())
            {
                walk(table, c, c, new ArrayList<>());
            }
        }
        for (final Chain c : table.chains())
        {
            if (!c.isBase())
            {
                walk(table, null, c, new ArrayList<>());
            }
        }
    }

    private static void checkRule(final Table table, final Rule rule) throws RulesetException
    {
        final Family family = table.family();
        Family seen = null;
        int protocol = -1;
        boolean transport = false;
        boolean tcp = false;
        for (final Expr e : rule.exprs())
        {
            if (e instanceof Match m)
            {
                final Field f = m.field();
                if (f == Field.META_NFPROTO && family != Family.INET)
                {
                    throw new RulesetException(m.origin(), "meta nfproto is only useful in the inet family");
                }
                if (m.op() == Match.Op.EQ && m.mask() == -1L && m.intervals().size() == 1 && m.intervals().get(0).isSingle())
                {
                    final int v = m.intervals().get(0).lo().intValue();
                    if (f == Field.META_L4PROTO || f == Field.IP_PROTOCOL)
                    {
                        if (protocol >= 0 && protocol != v)
                        {
                            throw new RulesetException(m.origin(), "conflicting protocols: " + f.keyword + " after a match on another protocol");
                        }
                        protocol = v;
                    }
                    else if (f == Field.META_NFPROTO && (v == 2 || v == 10))
                    {
                        final Family nf = v == 2 ? Family.IP : Family.IP6;
                        if (seen != null && seen != nf)
                        {
                            throw new RulesetException(m.origin(), "conflicting protocols: meta nfproto after a match on " + seen.keyword);
                        }
                        seen = nf;
                    }
                }
                if (f.dependencyFamily != null)
                {
                    if (family != Family.INET && family != f.dependencyFamily)
                    {
                        throw new RulesetException(m.origin(), f.keyword + " is not valid in an " + family.keyword + " table");
                    }
                    if (seen != null && seen != f.dependencyFamily)
                    {
                        throw new RulesetException(m.origin(), "conflicting protocols: " + f.keyword + " after a match on "
                            + seen.keyword);
                    }
                    seen = f.dependencyFamily;
                }
                if (f.dependencyProtocol >= 0)
                {
                    if (protocol >= 0 && protocol != f.dependencyProtocol)
                    {
                        throw new RulesetException(m.origin(), "conflicting protocols: " + f.keyword + " in a rule that already matches another protocol");
                    }
                    protocol = f.dependencyProtocol;
                    transport |= f.dependencyProtocol == 6 || f.dependencyProtocol == 17;
                    tcp |= f.dependencyProtocol == 6;
                }
                if ((f == Field.META_L4PROTO || f == Field.IP_PROTOCOL) && m.op() == Match.Op.EQ && !m.intervals().isEmpty())
                {
                    boolean onlyTcp = true;
                    boolean onlyTransport = true;
                    for (final Interval i : m.intervals())
                    {
                        for (BigInteger v = i.lo(); v.compareTo(i.hi()) <= 0; v = v.add(BigInteger.ONE))
                        {
                            onlyTcp &= v.intValue() == 6;
                            onlyTransport &= v.intValue() == 6 || v.intValue() == 17 || v.intValue() == 132 || v.intValue() == 33
                                || v.intValue() == 136;
                        }
                    }
                    tcp |= onlyTcp;
                    transport |= onlyTransport;
                }
                if (f == Field.IP_PROTOCOL && family == Family.IP6)
                {
                    throw new RulesetException(m.origin(), "ip protocol is not valid in an ip6 table");
                }
            }
            else if (e instanceof Expr.Reject r)
            {
                switch (r.kind())
                {
                    case ICMP ->
                    {
                        if (family == Family.IP6)
                        {
                            throw new RulesetException(r.origin(), "reject with icmp is not valid in an ip6 table");
                        }
                    }
                    case ICMPV6 ->
                    {
                        if (family == Family.IP)
                        {
                            throw new RulesetException(r.origin(), "reject with icmpv6 is not valid in an ip table");
                        }
                    }
                    case ICMPX ->
                    {
                        if (family != Family.INET)
                        {
                            throw new RulesetException(r.origin(), "reject with icmpx is only valid in an inet table");
                        }
                    }
                    case TCP_RESET ->
                    {
                        if (!tcp)
                        {
                            throw new RulesetException(r.origin(), "you cannot use tcp reset with this protocol (the rule matches another one)");
                        }
                    }
                }
            }
            else if (e instanceof Expr.Nat n && n.portMin() >= 0 && !transport)
            {
                throw new RulesetException(n.origin(), n.kind().keyword + " to a port needs a transport protocol match before it (e.g. meta l4proto tcp)");
            }
        }
    }

    /**
     * Walks {@code chain} as reached from {@code base} (null: a chain no base chain reaches, only loop-checked):
     * unknown targets, jumps to base chains, loops, and the hook restrictions of NAT, reject and notrack.
     */
    private static void walk(final Table table, final Chain base, final Chain chain, final List<String> path) throws RulesetException
    {
        path.add(chain.name());
        for (final Rule r : chain.rules())
        {
            for (final Expr e : r.exprs())
            {
                if (base != null)
                {
                    checkPlace(base, chain, e);
                }
                if (e instanceof Expr.Verdict v && v.chain() != null)
                {
                    final Chain target = table.chain(v.chain());
                    if (target == null)
                    {
                        throw new RulesetException(v.origin(), "chain " + v.chain() + " does not exist in table " + table.name());
                    }
                    if (target.isBase())
                    {
                        throw new RulesetException(v.origin(), v.kind().keyword + " to base chain " + v.chain() + " is not allowed");
                    }
                    if (path.contains(target.name()))
                    {
                        throw new RulesetException(v.origin(), "jump loop: " + String.join(" -> ", path) + " -> " + target.name());
                    }
                    if (path.size() >= 16 && v.kind() == Expr.VerdictKind.JUMP)
                    {
                        throw new RulesetException(v.origin(), "jumps nested deeper than 16 chains");
                    }
                    walk(table, base, target, path);
                }
            }
        }
        path.remove(path.size() - 1);
    }

    private static void checkPlace(final Chain base, final Chain chain, final Expr e) throws RulesetException
    {
        final Hook hook = base.base().hook();
        final ChainType type = base.base().type();
        final String where = " (chain " + chain.name() + (chain == base ? "" : ", reached from base chain " + base.name())
            + ": type " + type.keyword + " hook " + hook.name().toLowerCase() + ")";
        final Set<Hook> allowed;
        final String what;
        boolean natOnly = false;
        if (e instanceof Expr.Nat n)
        {
            natOnly = true;
            what = n.kind().keyword;
            allowed = switch (n.kind())
            {
                case SNAT -> EnumSet.of(Hook.POSTROUTING, Hook.INPUT);
                case DNAT -> EnumSet.of(Hook.PREROUTING, Hook.OUTPUT);
                case MASQUERADE -> EnumSet.of(Hook.POSTROUTING);
                case REDIRECT -> EnumSet.of(Hook.PREROUTING, Hook.OUTPUT);
            };
        }
        else if (e instanceof Expr.Reject)
        {
            what = "reject";
            allowed = EnumSet.of(Hook.PREROUTING, Hook.INPUT, Hook.FORWARD, Hook.OUTPUT);
        }
        else
        {
            return;
        }
        if (natOnly && type != ChainType.NAT)
        {
            throw new RulesetException(e.origin(), what + " is only allowed in a nat chain" + where);
        }
        if (!allowed.contains(hook))
        {
            throw new RulesetException(e.origin(), what + " is not allowed at hook " + hook.name().toLowerCase() + where);
        }
    }
}
