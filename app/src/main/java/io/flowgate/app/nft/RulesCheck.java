package io.flowgate.app.nft;

import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;
import java.util.List;

/**
 * What a parsed ruleset needs of the router it is loaded into, checked before it reaches the engine (by
 * {@code flowgate config check}, {@code flowgate nft -c --config}, the {@code rules:} key at start and the
 * management service): every {@code iif}/{@code oif} names a port, and what needs connection tracking ({@code ct}
 * matches and statements, {@code type nat} chains, NAT statements, {@code notrack}) is only used when it is on.
 * {@code iifname}/{@code oifname} are string matches in nft and may name an interface that does not exist (they then
 * match nothing), so only {@code iif}/{@code oif} are refused.
 */
public final class RulesCheck
{
    private RulesCheck()
    {
    }

    /**
     * Throws at the first offending expression. {@code ports}: the router's port names, null when unknown (no
     * interface check).
     */
    public static void check(final Ruleset ruleset, final List<String> ports, final boolean conntrack) throws RulesetException
    {
        for (final Table table : ruleset.tables())
        {
            for (final Chain chain : table.chains())
            {
                if (!conntrack && chain.isBase() && chain.base().type() == ChainType.NAT)
                {
                    throw new RulesetException(chain.origin(), "chain " + chain.name() + ": type nat needs connection tracking "
                        + "(a 'conntrack' section in the configuration)");
                }
                for (final Rule rule : chain.rules())
                {
                    for (final Expr e : rule.exprs())
                    {
                        check(e, ports, conntrack);
                    }
                }
            }
        }
    }

    private static void check(final Expr e, final List<String> ports, final boolean conntrack) throws RulesetException
    {
        switch (e)
        {
            case Match m ->
            {
                if ((m.field() == Field.IIF || m.field() == Field.OIF) && ports != null)
                {
                    for (final String name : m.names())
                    {
                        if (!ports.contains(name))
                        {
                            throw new RulesetException(m.origin(), m.field().keyword + " \"" + name + "\": no such port (ports: "
                                + String.join(", ", ports) + ")");
                        }
                    }
                }
                if (!conntrack && (m.field() == Field.CT_STATE || m.field() == Field.CT_STATUS || m.field() == Field.CT_MARK))
                {
                    throw new RulesetException(m.origin(), m.field().keyword + " needs connection tracking (a 'conntrack' section "
                        + "in the configuration)");
                }
            }
            case Expr.MarkSet s when s.field() == Field.CT_MARK && !conntrack ->
                throw new RulesetException(s.origin(), "ct mark set needs connection tracking (a 'conntrack' section in the configuration)");
            case Expr.Nat n when !conntrack ->
                throw new RulesetException(n.origin(), "NAT needs connection tracking (a 'conntrack' section in the configuration)");
            default ->
            {
                // Nothing the router must provide.
            }
        }
    }
}
