package io.flowgate.conntrack;

/**
 * Connection status bits, Linux's {@code enum ip_conntrack_status} ({@code include/uapi/linux/netfilter/nf_conntrack_common.h}):
 * the bit numbers are Linux's, so a status word reads the same in {@code conntrack -L -o extended} terms.
 */
public final class CtStatus
{
    /** It's an expected connection: bit 0 set. */
    public static final int EXPECTED = 1;
    /** We've seen packets both ways: bit 1 set. */
    public static final int SEEN_REPLY = 1 << 1;
    /** Conntrack should never be early-expired. */
    public static final int ASSURED = 1 << 2;
    /** Connection is confirmed: originating packet has left box. */
    public static final int CONFIRMED = 1 << 3;
    /** Connection needs src nat in orig dir. */
    public static final int SRC_NAT = 1 << 4;
    /** Connection needs dst nat in orig dir. */
    public static final int DST_NAT = 1 << 5;
    /** Connection needs TCP sequence adjusted. */
    public static final int SEQ_ADJUST = 1 << 6;
    public static final int SRC_NAT_DONE = 1 << 7;
    public static final int DST_NAT_DONE = 1 << 8;
    /** Connection is dying (removed from lists), can not be unset. */
    public static final int DYING = 1 << 9;
    /** Connection has fixed timeout. */
    public static final int FIXED_TIMEOUT = 1 << 10;
    public static final int TEMPLATE = 1 << 11;
    public static final int NAT_CLASH = 1 << 12;
    public static final int HELPER = 1 << 13;
    public static final int OFFLOAD = 1 << 14;
    public static final int HW_OFFLOAD = 1 << 15;

    public static final int NAT_MASK = DST_NAT | SRC_NAT;
    public static final int NAT_DONE_MASK = DST_NAT_DONE | SRC_NAT_DONE;

    private static final String[] NAMES = {
        "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SEQ_ADJUST", "SRC_NAT_DONE",
        "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT", "TEMPLATE", "NAT_CLASH", "HELPER", "OFFLOAD", "HW_OFFLOAD"};

    private CtStatus()
    {
    }

    /** The set bits' names joined by {@code ,} (control plane only: allocates). */
    public static String names(final int status)
    {
        final StringBuilder out = new StringBuilder();
        for (int bit = 0; bit < NAMES.length; bit++)
        {
            if ((status & (1 << bit)) != 0)
            {
                if (!out.isEmpty())
                {
                    out.append(',');
                }
                out.append(NAMES[bit]);
            }
        }
        return out.toString();
    }
}
