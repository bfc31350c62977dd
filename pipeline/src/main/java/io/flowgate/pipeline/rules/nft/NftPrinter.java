package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.model.BaseChain;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.CounterReader;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.NamedSet;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.Table;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Prints a ruleset back in nft syntax as {@code nft list ruleset} (nft 1.0.6) does: tabs, sets before chains,
 * a blank line between them, priorities by name ({@code filter + 10}), marks as {@code 0x%08x}, counters as
 * {@code counter packets P bytes B}, defaults left out ({@code burst 5 packets}, {@code level warn}). What it
 * prints parses back to the same model and is accepted by {@code nft -f}. Thread-safety: stateless.
 */
public final class NftPrinter
{
    private NftPrinter()
    {
    }

    public static String print(final Ruleset ruleset, final CounterReader counters)
    {
        final StringBuilder out = new StringBuilder();
        final long[] values = new long[2];
        for (final Table table : ruleset.tables())
        {
            out.append("table ").append(table.family().keyword).append(' ').append(table.name()).append(" {\n");
            boolean first = true;
            for (final NamedSet set : table.sets())
            {
                out.append(first ? "" : "\n");
                first = false;
                printSet(out, set);
            }
            for (final Chain chain : table.chains())
            {
                out.append(first ? "" : "\n");
                first = false;
                out.append("\tchain ").append(chain.name()).append(" {\n");
                if (chain.isBase())
                {
                    final BaseChain b = chain.base();
                    out.append("\t\ttype ").append(b.type().keyword).append(" hook ").append(b.hook().name().toLowerCase())
                        .append(" priority ").append(priority(b.hook(), b.priority())).append("; policy ")
                        .append(b.policyDrop() ? "drop" : "accept").append(";\n");
                }
                final List<Rule> rules = chain.rules();
                for (int i = 0; i < rules.size(); i++)
                {
                    final boolean live = counters.read(table, chain, i, values);
                    out.append("\t\t").append(rule(table.family(), rules.get(i), live ? values : null)).append('\n');
                }
                out.append("\t}\n");
            }
            out.append("}\n");
        }
        return out.toString();
    }

    private static void printSet(final StringBuilder out, final NamedSet set)
    {
        out.append("\tset ").append(set.name()).append(" {\n");
        out.append("\t\ttype ").append(NftChecker.typeName(set.type())).append('\n');
        if (set.interval())
        {
            out.append("\t\tflags interval\n");
        }
        if (!set.elements().isEmpty())
        {
            // nft 1.0.6: IPv4 addresses two a line, numbers sixteen, others (IPv6) one
            final int perLine = switch (NftChecker.domain(set.type()))
            {
                case IP_SADDR -> 2;
                case IP6_SADDR -> 1;
                default -> 16;
            };
            out.append("\t\telements = { ");
            int count = 0;
            for (final Interval e : set.elements())
            {
                if (count > 0)
                {
                    out.append(count % perLine == 0 ? ",\n\t\t\t     " : ", ");
                }
                out.append(NftValues.formatInterval(set.type(), e));
                count++;
            }
            out.append(" }\n");
        }
        out.append("\t}\n");
    }

    /** nft's {@code prio2str}: a standard priority within 10 of the value, when that name is valid at the hook. */
    static String priority(final Hook hook, final int priority)
    {
        for (final Map.Entry<String, Integer> e : NftNames.PRIORITIES.entrySet())
        {
            final int std = e.getValue();
            if (Math.abs(priority - std) <= 10)
            {
                if ((e.getKey().equals("dstnat") && hook != Hook.PREROUTING) || (e.getKey().equals("srcnat") && hook != Hook.POSTROUTING))
                {
                    break;
                }
                final int offset = priority - std;
                return e.getKey() + (offset > 0 ? " + " + offset : offset < 0 ? " - " + -offset : "");
            }
        }
        return Integer.toString(priority);
    }

    /** One rule as nft lists it ({@code counter} with {@code values} when not null, else with the written ones). */
    public static String rule(final Family family, final Rule rule, final long[] counterValues)
    {
        final StringBuilder out = new StringBuilder();
        final List<Expr> exprs = rule.exprs();
        for (int i = 0; i < exprs.size(); i++)
        {
            final Expr e = exprs.get(i);
            if (family != Family.INET && i + 1 < exprs.size() && isTcpDependency(e) && exprs.get(i + 1) instanceof Expr.Reject r
                && r.kind() == Expr.RejectKind.TCP_RESET)
            {
                continue; // nft 1.0.6 hides the tcp dependency of "reject with tcp reset" in ip and ip6 tables
            }
            if (!out.isEmpty())
            {
                out.append(' ');
            }
            out.append(expr(family, e, counterValues));
        }
        if (rule.comment() != null)
        {
            out.append(" comment \"").append(rule.comment()).append('"');
        }
        return out.toString();
    }

    private static boolean isTcpDependency(final Expr e)
    {
        return e instanceof Match m && m.field() == Field.META_L4PROTO && m.op() == Match.Op.EQ && m.mask() == -1L
            && m.setName() == null && m.intervals().equals(List.of(Interval.of(6)));
    }

    private static String expr(final Family family, final Expr e, final long[] counterValues)
    {
        return switch (e)
        {
            case Match m -> match(m);
            case Expr.Limit l -> limit(l);
            case Expr.Counter c -> "counter packets " + (counterValues != null ? counterValues[0] : c.packets()) + " bytes "
                + (counterValues != null ? counterValues[1] : c.bytes());
            case Expr.Log l -> "log" + (l.prefix() != null ? " prefix \"" + l.prefix() + "\"" : "")
                + (l.level() != 4 ? " level " + NftNames.nameOf(NftNames.LOG_LEVELS, l.level()) : "");
            case Expr.MarkSet s -> s.field().keyword + " set " + String.format("0x%08x", s.value());
            case Expr.Notrack n -> "notrack";
            case Expr.Nat n -> nat(family, n);
            case Expr.Verdict v -> v.chain() == null ? v.kind().keyword : v.kind().keyword + " " + v.chain();
            case Expr.Reject r -> reject(family, r);
            case Expr.Queue q -> queue(q);
        };
    }

    private static String match(final Match m)
    {
        final Field f = m.field();
        final StringBuilder out = new StringBuilder(f.keyword).append(' ');
        final String neq = m.op() == Match.Op.NEQ ? "!= " : "";
        if (f.isInterface())
        {
            out.append(neq);
            if (m.names().size() == 1)
            {
                return out.append('"').append(m.names().get(0)).append('"').toString();
            }
            out.append("{ ");
            for (int i = 0; i < m.names().size(); i++)
            {
                out.append(i > 0 ? ", " : "").append('"').append(m.names().get(i)).append('"');
            }
            return out.append(" }").toString();
        }
        if (m.op() == Match.Op.ANY_BIT)
        {
            return out.append(NftValues.formatBits(f, m.mask())).toString();
        }
        if (m.setName() != null)
        {
            return out.append(neq).append('@').append(m.setName()).toString();
        }
        if (m.mask() != -1L)
        {
            if (f.isBitmask() && m.intervals().size() == 1 && m.op() == Match.Op.EQ && m.intervals().get(0).lo().signum() == 0)
            {
                return out.append("! ").append(NftValues.formatBits(f, m.mask())).toString();
            }
            if (f.isBitmask() && m.intervals().size() == 1 && Long.bitCount(m.mask()) > 1)
            {
                return out.append(neq).append(NftValues.formatBits(f, m.intervals().get(0).lo().longValue())).append(" / ")
                    .append(NftValues.formatBits(f, m.mask())).toString();
            }
            out.append("& ").append(f.isBitmask() ? NftValues.formatBits(f, m.mask()) : NftValues.format(f, BigInteger.valueOf(m.mask())))
                .append(m.op() == Match.Op.NEQ ? " != " : " == ");
            return out.append(values(f, m.intervals())).toString();
        }
        if (m.intervals().size() == 1)
        {
            final Interval i = m.intervals().get(0);
            if (f.isBitmask())
            {
                // nft 1.0.6 lists an exact value of several bits as hex for tcp flags, joined by " | " for ct state/status
                final long v = i.lo().longValue();
                final String value = Long.bitCount(v) <= 1 ? NftValues.formatBits(f, v)
                    : f == Field.TCP_FLAGS ? String.format("0x%x", v) : NftValues.formatBits(f, v).replace(",", " | ");
                return out.append(m.op() == Match.Op.NEQ ? "!= " : "== ").append(value).toString();
            }
            if (!NftValues.isAddress(f) && !i.isSingle() && m.op() == Match.Op.EQ)
            {
                final BigInteger max = BigInteger.ONE.shiftLeft(f.bits).subtract(BigInteger.ONE);
                if (i.lo().signum() == 0 && !i.hi().equals(max))
                {
                    return out.append("< ").append(NftValues.format(f, i.hi().add(BigInteger.ONE))).toString();
                }
                if (i.hi().equals(max) && i.lo().signum() > 0)
                {
                    return out.append("> ").append(NftValues.format(f, i.lo().subtract(BigInteger.ONE))).toString();
                }
            }
        }
        return out.append(neq).append(values(f, m.intervals())).toString();
    }

    private static String values(final Field f, final List<Interval> intervals)
    {
        if (intervals.size() == 1)
        {
            return NftValues.formatInterval(f, intervals.get(0));
        }
        final StringBuilder out = new StringBuilder("{ ");
        for (int i = 0; i < intervals.size(); i++)
        {
            out.append(i > 0 ? ", " : "").append(NftValues.formatInterval(f, intervals.get(i)));
        }
        return out.append(" }").toString();
    }

    private static String limit(final Expr.Limit l)
    {
        final StringBuilder out = new StringBuilder("limit rate ");
        if (l.over())
        {
            out.append("over ");
        }
        final String per = l.per().name().toLowerCase();
        if (l.bytes())
        {
            out.append(dataRate(l.rate())).append('/').append(per);
            if (l.burst() != 0)
            {
                out.append(" burst ").append(dataRate(l.burst()));
            }
        }
        else
        {
            out.append(l.rate()).append('/').append(per);
            if (l.burst() != 5 && l.burst() != 0)
            {
                out.append(" burst ").append(l.burst()).append(" packets");
            }
        }
        return out.toString();
    }

    private static String dataRate(final long bytes)
    {
        if (bytes % (1024L * 1024) == 0)
        {
            return bytes / (1024L * 1024) + " mbytes";
        }
        if (bytes % 1024 == 0)
        {
            return bytes / 1024 + " kbytes";
        }
        return bytes + " bytes";
    }

    private static String nat(final Family family, final Expr.Nat n)
    {
        final StringBuilder out = new StringBuilder(n.kind().keyword);
        final boolean addressed = n.kind() == Expr.NatKind.SNAT || n.kind() == Expr.NatKind.DNAT;
        if (addressed || n.portMin() >= 0)
        {
            if (addressed && family == Family.INET)
            {
                out.append(" ip");
            }
            out.append(" to ");
            if (addressed)
            {
                out.append(NftValues.formatIpv4(n.addressMin() & 0xFFFF_FFFFL));
                if (n.addressMax() != n.addressMin())
                {
                    out.append('-').append(NftValues.formatIpv4(n.addressMax() & 0xFFFF_FFFFL));
                }
            }
            if (n.portMin() >= 0)
            {
                out.append(':').append(n.portMin());
                if (n.portMax() != n.portMin())
                {
                    out.append('-').append(n.portMax());
                }
            }
        }
        if (n.flags() != 0)
        {
            out.append(' ');
            String sep = "";
            if ((n.flags() & Expr.NAT_RANDOM) != 0)
            {
                out.append("random");
                sep = ",";
            }
            if ((n.flags() & Expr.NAT_FULLY_RANDOM) != 0)
            {
                out.append(sep).append("fully-random");
                sep = ",";
            }
            if ((n.flags() & Expr.NAT_PERSISTENT) != 0)
            {
                out.append(sep).append("persistent");
            }
        }
        return out.toString();
    }

    private static String reject(final Family family, final Expr.Reject r)
    {
        return switch (r.kind())
        {
            case TCP_RESET -> "reject with tcp reset";
            case ICMP -> family == Family.IP && r.code() == 3 ? "reject"
                : "reject with icmp " + NftNames.nameOf(NftNames.ICMP_CODES, r.code());
            case ICMPV6 -> family == Family.IP6 && r.code() == 4 ? "reject"
                : "reject with icmpv6 " + NftNames.nameOf(NftNames.ICMPV6_CODES, r.code());
            case ICMPX -> r.code() == 1 ? "reject" : "reject with icmpx " + NftNames.nameOf(NftNames.ICMPX_CODES, r.code());
        };
    }

    /** nft 1.0.6's form: {@code queue [flags bypass,fanout] to N[-M]}. */
    private static String queue(final Expr.Queue q)
    {
        final StringBuilder out = new StringBuilder("queue");
        if (q.bypass() || q.fanout())
        {
            out.append(" flags ").append(q.bypass() ? "bypass" : "").append(q.bypass() && q.fanout() ? "," : "")
                .append(q.fanout() ? "fanout" : "");
        }
        out.append(" to ").append(q.from());
        if (q.to() != q.from())
        {
            out.append('-').append(q.to());
        }
        return out.toString();
    }
}
