package io.flowgate.pipeline.rules.model;

import java.util.ArrayList;
import java.util.List;

/**
 * One rule: its expressions in the order written, where it was written, and its {@code comment "..."} (null when
 * none).
 */
public record Rule(List<Expr> exprs, Origin origin, String comment)
{
    public Rule
    {
        exprs = List.copyOf(exprs);
    }

    /** The rule's matches (Match and Limit) in order. */
    public List<Expr> matches()
    {
        final List<Expr> out = new ArrayList<>();
        for (final Expr e : exprs)
        {
            if (e.isMatch())
            {
                out.add(e);
            }
        }
        return out;
    }

    /** The rule's last expression when it is a verdict (accept, drop, reject, queue, jump...), else null. */
    public Expr verdict()
    {
        if (exprs.isEmpty())
        {
            return null;
        }
        final Expr last = exprs.get(exprs.size() - 1);
        return last.isTerminal() ? last : null;
    }

    /**
     * What identifies "the same rule" across reloads (its counters carry over): the expressions without their
     * origins and without a counter's initial values, and the comment. Two rules written alike anywhere in two
     * files have the same identity.
     */
    public String identity()
    {
        final StringBuilder text = new StringBuilder();
        for (final Expr e : exprs)
        {
            text.append(switch (e)
            {
                case Match m -> "match " + m.field() + ' ' + m.op() + ' ' + m.mask() + ' ' + m.intervals() + ' ' + m.names()
                    + ' ' + m.setName();
                case Expr.Counter c -> "counter";
                case Expr.Limit l -> "limit " + l.rate() + ' ' + l.per() + ' ' + l.burst() + ' ' + l.bytes() + ' ' + l.over();
                case Expr.Log l -> "log " + l.prefix() + ' ' + l.level();
                case Expr.MarkSet s -> "set " + s.field() + ' ' + s.value();
                case Expr.Notrack n -> "notrack";
                case Expr.Nat n -> "nat " + n.kind() + ' ' + n.addressMin() + ' ' + n.addressMax() + ' ' + n.portMin() + ' '
                    + n.portMax() + ' ' + n.flags();
                case Expr.Verdict v -> "verdict " + v.kind() + ' ' + v.chain();
                case Expr.Reject r -> "reject " + r.kind() + ' ' + r.code();
                case Expr.Queue q -> "queue " + q.from() + ' ' + q.to() + ' ' + q.bypass() + ' ' + q.fanout();
            }).append(';');
        }
        return text.append("comment ").append(comment).toString();
    }
}
