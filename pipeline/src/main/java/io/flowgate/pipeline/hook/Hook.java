package io.flowgate.pipeline.hook;

/**
 * The five netfilter hooks of the inet families, with Linux's numbering ({@code enum nf_inet_hooks},
 * {@code include/uapi/linux/netfilter.h}): the ordinal of each constant is its {@code NF_INET_*} number.
 * <pre>
 *  rx -> PREROUTING -> route -+-> INPUT -> local (slow path)
 *                             +-> FORWARD -> POSTROUTING -> tx
 *                   local ------> OUTPUT ---^
 * </pre>
 */
public enum Hook
{
    /** NF_INET_PRE_ROUTING: every received packet, before routing (defrag, conntrack, DNAT). */
    PREROUTING,
    /** NF_INET_LOCAL_IN: packets for the box itself. */
    INPUT,
    /** NF_INET_FORWARD: packets routed through the box. */
    FORWARD,
    /** NF_INET_LOCAL_OUT: packets the box itself sends. */
    OUTPUT,
    /** NF_INET_POST_ROUTING: every transmitted packet, after routing (SNAT, conntrack confirm). */
    POSTROUTING;

    public static final int NF_INET_PRE_ROUTING = 0;
    public static final int NF_INET_LOCAL_IN = 1;
    public static final int NF_INET_FORWARD = 2;
    public static final int NF_INET_LOCAL_OUT = 3;
    public static final int NF_INET_POST_ROUTING = 4;
    /** NF_INET_NUMHOOKS. */
    public static final int COUNT = 5;

    private static final Hook[] BY_NUMBER = values();

    /** Linux's {@code NF_INET_*} number of this hook. */
    public int number()
    {
        return ordinal();
    }

    public static Hook of(final int number)
    {
        return BY_NUMBER[number];
    }
}
