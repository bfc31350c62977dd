package io.flowgate.pipeline.rules.model;

import java.util.List;

/** A chain: a base chain when {@code base} is not null, else a regular chain reached by jump or goto. */
public record Chain(String name, BaseChain base, List<Rule> rules, Origin origin)
{
    public Chain
    {
        rules = List.copyOf(rules);
    }

    public boolean isBase()
    {
        return base != null;
    }
}
