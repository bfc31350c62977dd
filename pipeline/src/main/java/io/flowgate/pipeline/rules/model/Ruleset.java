package io.flowgate.pipeline.rules.model;

import java.util.List;

/** A whole ruleset: its tables in file order. {@code source} names the file (or "-" for text given inline). */
public record Ruleset(String source, List<Table> tables)
{
    public Ruleset
    {
        tables = List.copyOf(tables);
    }

    public static Ruleset empty()
    {
        return new Ruleset("-", List.of());
    }
}
