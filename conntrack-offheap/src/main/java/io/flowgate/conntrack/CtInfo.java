package io.flowgate.conntrack;

/**
 * Linux's {@code enum ip_conntrack_info}: what a packet is to its connection. Values are Linux's.
 * {@link #UNTRACKED} marks a packet conntrack did not attach to any entry (INVALID in {@code ct state}
 * terms when {@link #INVALID} is set, NOTRACK otherwise).
 */
public final class CtInfo
{
    /** Part of an established connection (either direction). */
    public static final int ESTABLISHED = 0;
    /** Like NEW, but related to an existing connection, or ICMP error (in either direction). */
    public static final int RELATED = 1;
    /** Started a new connection to track (only IP_CT_DIR_ORIGINAL); may be a retransmission. */
    public static final int NEW = 2;
    /** >= this indicates reply direction. */
    public static final int IS_REPLY = 3;
    public static final int ESTABLISHED_REPLY = ESTABLISHED + IS_REPLY;
    public static final int RELATED_REPLY = RELATED + IS_REPLY;
    /** Not attached to any entry: conntrack found the packet invalid. */
    public static final int INVALID = 7;
    /** Not attached to any entry: conntrack was told not to track it ({@code notrack}) or does not handle it. */
    public static final int UNTRACKED = 8;

    private CtInfo()
    {
    }

    /** Direction of a tracked packet's ctinfo: 0 original, 1 reply. */
    public static int direction(final int ctinfo)
    {
        return ctinfo >= IS_REPLY && ctinfo < INVALID ? 1 : 0;
    }

    /** nft's {@code ct state} bit for a ctinfo: invalid 1, established 2, related 4, new 8, untracked 64 (nft's NF_CT_STATE_* values). */
    public static int stateBit(final int ctinfo)
    {
        return switch (ctinfo)
        {
            case ESTABLISHED, ESTABLISHED_REPLY -> 2;
            case RELATED, RELATED_REPLY -> 4;
            case NEW -> 8;
            case UNTRACKED -> 64;
            default -> 1;
        };
    }
}
