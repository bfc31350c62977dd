package io.flowgate.pipeline.route;

/**
 * A route needs more tbl8 groups than the pool has free. Thrown on the control path before anything is
 * changed: the table and its rules are exactly as they were.
 */
public final class Tbl8ExhaustedException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public Tbl8ExhaustedException(final String message)
    {
        super(message);
    }
}
