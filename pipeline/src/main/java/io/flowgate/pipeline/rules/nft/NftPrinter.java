package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.rules.model.CounterReader;
import io.flowgate.pipeline.rules.model.Ruleset;

/**
 * CONTRACT (implemented in the language work): prints a ruleset back in nft syntax as {@code nft list ruleset}
 * does (tabs, one rule a line, counters as {@code counter packets P bytes B}); what it prints parses back to the
 * same model and is accepted by {@code nft -c -f}.
 */
public final class NftPrinter
{
    private NftPrinter()
    {
    }

    public static String print(final Ruleset ruleset, final CounterReader counters)
    {
        throw new UnsupportedOperationException("printer not built yet");
    }
}
