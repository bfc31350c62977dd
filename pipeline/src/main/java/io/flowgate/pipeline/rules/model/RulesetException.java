package io.flowgate.pipeline.rules.model;

/**
 * A ruleset that cannot be loaded: a syntax error, something outside the supported subset, an unknown chain, set
 * or interface. The message starts with {@code FILE:LINE:COLUMN: } and says what is wrong; nothing is loaded.
 */
public final class RulesetException extends Exception
{
    private final Origin origin;

    public RulesetException(final Origin origin, final String reason)
    {
        super(origin + ": " + reason);
        this.origin = origin;
    }

    public Origin origin()
    {
        return origin;
    }
}
