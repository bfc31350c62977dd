package io.flowgate.pipeline.rules;

import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * CONTRACT (implemented in the runtime work, docs/rules.md): the router's rule engine. Control plane:
 * {@link #load} compiles a ruleset off the data path and publishes it in one step; every worker switches at a
 * burst boundary; the old one is retired once every worker has passed (epoch) and its counters are carried to the
 * same rules of the new one. A ruleset that fails to compile leaves the running one untouched.
 * <p>
 * Reached through {@code Router.rules()}.
 */
public final class RuleEngine
{
    /** Compiles and publishes {@code ruleset}; returns once every worker runs it. Refused: nothing changes. */
    public void load(final Ruleset ruleset) throws RulesetException
    {
        throw new UnsupportedOperationException("rule engine not built yet");
    }

    /** The running ruleset (as loaded). */
    public Ruleset ruleset()
    {
        throw new UnsupportedOperationException("rule engine not built yet");
    }

    /** {@code nft list ruleset}: the running ruleset in nft syntax with its live counters. */
    public String list()
    {
        throw new UnsupportedOperationException("rule engine not built yet");
    }
}
