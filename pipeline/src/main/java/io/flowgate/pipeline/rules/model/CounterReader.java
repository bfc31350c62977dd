package io.flowgate.pipeline.rules.model;

/**
 * Live counter values for printing a loaded ruleset ({@code flowgate nft list ruleset}): the packets and bytes
 * the {@code counter} statement of rule {@code ruleIndex} of {@code chain} in {@code table} has counted, summed
 * over the workers. {@link #NONE} prints the values written in the file.
 */
public interface CounterReader
{
    CounterReader NONE = (table, chain, ruleIndex, out) -> false;

    /** Writes {packets, bytes} into {@code out}; returns false when the rule has no live counter. */
    boolean read(Table table, Chain chain, int ruleIndex, long[] out);
}
