package io.flowgate.pipeline.rules.model;

import java.util.List;

/** {@code table FAMILY NAME { sets... chains... }}. */
public record Table(Family family, String name, List<NamedSet> sets, List<Chain> chains, Origin origin)
{
    public Table
    {
        sets = List.copyOf(sets);
        chains = List.copyOf(chains);
    }

    public Chain chain(final String chainName)
    {
        for (final Chain c : chains)
        {
            if (c.name().equals(chainName))
            {
                return c;
            }
        }
        return null;
    }

    public NamedSet set(final String setName)
    {
        for (final NamedSet s : sets)
        {
            if (s.name().equals(setName))
            {
                return s;
            }
        }
        return null;
    }
}
