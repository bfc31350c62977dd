package io.flowgate.pipeline.rules.model;

/** Where a piece of a ruleset was written: 1-based line and column of its first character. */
public record Origin(String file, int line, int column)
{
    @Override
    public String toString()
    {
        return file + ":" + line + ":" + column;
    }
}
