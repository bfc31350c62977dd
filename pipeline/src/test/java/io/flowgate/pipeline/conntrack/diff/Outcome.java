package io.flowgate.pipeline.conntrack.diff;

import io.flowgate.conntrack.CtInfo;

/**
 * How conntrack classified one packet, as nft's {@code ct state} and {@code ct direction} see it at FORWARD.
 * {@code direction} is {@link Direction#NONE} when the packet has no entry (INVALID, UNTRACKED).
 * {@link State#NOT_SEEN}: the subject could not tell (Linux did not forward the packet and no counter moved).
 */
public record Outcome(State state, Direction direction)
{
    public enum State
    {
        NEW,
        ESTABLISHED,
        RELATED,
        INVALID,
        UNTRACKED,
        NOT_SEEN
    }

    public enum Direction
    {
        ORIGINAL,
        REPLY,
        NONE
    }

    public static final Outcome INVALID = new Outcome(State.INVALID, Direction.NONE);
    public static final Outcome UNTRACKED = new Outcome(State.UNTRACKED, Direction.NONE);
    public static final Outcome NOT_SEEN = new Outcome(State.NOT_SEEN, Direction.NONE);

    public static Outcome of(final State state, final Direction direction)
    {
        return new Outcome(state, direction);
    }

    /** The outcome of a packet whose {@code ctinfo} ({@link CtInfo}) is known, as nft would match it. */
    public static Outcome ofCtInfo(final int ctinfo)
    {
        return switch (ctinfo)
        {
            case CtInfo.NEW -> of(State.NEW, Direction.ORIGINAL);
            case CtInfo.ESTABLISHED -> of(State.ESTABLISHED, Direction.ORIGINAL);
            case CtInfo.ESTABLISHED_REPLY -> of(State.ESTABLISHED, Direction.REPLY);
            case CtInfo.RELATED -> of(State.RELATED, Direction.ORIGINAL);
            case CtInfo.RELATED_REPLY -> of(State.RELATED, Direction.REPLY);
            case CtInfo.UNTRACKED -> UNTRACKED;
            default -> INVALID;
        };
    }

    @Override
    public String toString()
    {
        return direction == Direction.NONE ? state.name() : state + "/" + direction;
    }
}
