package io.flowgate.conntrack;

/** A conntrack event as the control plane receives it: the type and the entry as it was when the event happened. */
public final class CtEvent
{
    /** Type bits (also the subscription mask), as {@code conntrack -E -e NEW,UPDATE,DESTROY}. */
    public static final int NEW = 1;
    public static final int UPDATE = 2;
    public static final int DESTROY = 4;
    public static final int ALL = NEW | UPDATE | DESTROY;

    public int type;
    /** Wall-clock time of the event in microseconds ({@code conntrack -E -o timestamp}). */
    public long timestampMicros;
    public final CtEntry entry = new CtEntry();

    public static String typeName(final int type)
    {
        return switch (type)
        {
            case NEW -> "NEW";
            case UPDATE -> "UPDATE";
            case DESTROY -> "DESTROY";
            default -> "UNKNOWN";
        };
    }
}
