package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * CONTRACT (implemented in the language work): reads a ruleset in the supported subset of the nft language
 * ({@code nft -f} files, docs/rules.md) into the model. Anything outside the subset, and every error, is a
 * {@link RulesetException} at FILE:LINE:COLUMN saying what is wrong or not supported; nothing is silently ignored.
 */
public final class NftParser
{
    private NftParser()
    {
    }

    /** Parses {@code text}, named {@code file} in messages. */
    public static Ruleset parse(final String file, final String text) throws RulesetException
    {
        throw new UnsupportedOperationException("parser not built yet");
    }
}
