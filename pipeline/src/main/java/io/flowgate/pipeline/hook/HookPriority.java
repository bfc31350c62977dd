package io.flowgate.pipeline.hook;

/**
 * Linux's named hook priorities for IPv4 ({@code enum nf_ip_hook_priorities},
 * {@code include/uapi/linux/netfilter_ipv4.h}); IPv6's {@code nf_ip6_hook_priorities} use the same values.
 * Lower runs first.
 */
public final class HookPriority
{
    public static final int FIRST = Integer.MIN_VALUE;
    public static final int RAW_BEFORE_DEFRAG = -450;
    public static final int CONNTRACK_DEFRAG = -400;
    public static final int RAW = -300;
    public static final int SELINUX_FIRST = -225;
    public static final int CONNTRACK = -200;
    public static final int MANGLE = -150;
    public static final int NAT_DST = -100;
    public static final int FILTER = 0;
    public static final int SECURITY = 50;
    public static final int NAT_SRC = 100;
    public static final int SELINUX_LAST = 225;
    public static final int CONNTRACK_HELPER = 300;
    public static final int CONNTRACK_CONFIRM = Integer.MAX_VALUE;
    public static final int LAST = Integer.MAX_VALUE;

    private HookPriority()
    {
    }
}
