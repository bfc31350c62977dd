package io.flowgate.pipeline.neigh;

/**
 * Neighbour unreachability detection (NUD) states, with Linux's bit values ({@code include/uapi/linux/neighbour.h},
 * {@code NUD_INCOMPLETE 0x01 ... NUD_PERMANENT 0x80}) so that listings and masks read the same as
 * {@code ip neigh}'s. A state is one bit; the masks below are Linux's {@code NUD_VALID}, {@code NUD_CONNECTED}
 * and {@code NUD_IN_TIMER} ({@code include/net/neighbour.h}).
 * <pre>
 * state        event                                      next         action
 * (absent)     resolve: a packet waits for the address    INCOMPLETE   queue it, multicast probe
 * INCOMPLETE   retrans time, multicast probes left        INCOMPLETE   multicast probe
 * INCOMPLETE   retrans time, probes used up               FAILED       drop the queued packets
 * INCOMPLETE   reply to us, solicited NA                  REACHABLE    release the queued packets
 * INCOMPLETE   request or NS to us, unsolicited NA        STALE        release the queued packets
 * REACHABLE    reachable time, used within delay time     DELAY
 * REACHABLE    reachable time, idle                       STALE
 * STALE        used by a worker                           DELAY
 * DELAY        delay time, confirmed within it            REACHABLE
 * DELAY        delay time, unconfirmed                    PROBE        unicast probe
 * PROBE        retrans time, unicast probes left          PROBE        unicast probe
 * PROBE        retrans time, probes used up               FAILED
 * FAILED       resolve                                    INCOMPLETE   as from absent
 * any valid    reply to us, solicited NA                  REACHABLE
 * </pre>
 * PERMANENT (configured) and NOARP (broadcast, multicast) entries never change by themselves.
 */
public final class NeighbourState
{
    /** Linux's NUD_NONE: an entry created but not yet resolving. */
    public static final int NONE = 0x00;
    public static final int INCOMPLETE = 0x01;
    public static final int REACHABLE = 0x02;
    public static final int STALE = 0x04;
    public static final int DELAY = 0x08;
    public static final int PROBE = 0x10;
    public static final int FAILED = 0x20;
    public static final int NOARP = 0x40;
    public static final int PERMANENT = 0x80;

    /** The address may be used to transmit. */
    public static final int VALID = PERMANENT | NOARP | REACHABLE | PROBE | STALE | DELAY;
    /** The address is known good without a probe. */
    public static final int CONNECTED = PERMANENT | NOARP | REACHABLE;
    /** States with a running timer. */
    public static final int IN_TIMER = INCOMPLETE | REACHABLE | DELAY | PROBE;

    private NeighbourState()
    {
    }

    public static boolean isValid(final int state)
    {
        return (state & VALID) != 0;
    }

    public static boolean isConnected(final int state)
    {
        return (state & CONNECTED) != 0;
    }

    public static boolean isInTimer(final int state)
    {
        return (state & IN_TIMER) != 0;
    }

    /** Control path: the name {@code ip neigh} prints. */
    public static String name(final int state)
    {
        return switch (state)
        {
            case NONE -> "NONE";
            case INCOMPLETE -> "INCOMPLETE";
            case REACHABLE -> "REACHABLE";
            case STALE -> "STALE";
            case DELAY -> "DELAY";
            case PROBE -> "PROBE";
            case FAILED -> "FAILED";
            case NOARP -> "NOARP";
            case PERMANENT -> "PERMANENT";
            default -> "state(0x" + Integer.toHexString(state) + ")";
        };
    }
}
