package io.flowgate.pipeline.rules;

/**
 * What {@code PacketBurst.reject[i]} says about a packet the rule engine rejected (its verdict is DROP): the
 * kind in bits 8..15 and the code in bits 0..7; 0 means "not rejected, just dropped". The worker's tail hands such
 * a packet to the slow path, which sends the error back (nf_reject_ipv4/ipv6: ICMP/ICMPv6 unreachable or TCP
 * reset) and then frees it.
 */
public final class RejectCodes
{
    public static final int NONE = 0;
    /** ICMP destination unreachable, code = the ICMP code (3 port-unreachable, 1 host, 0 net, 13 admin-prohibited...). */
    public static final int ICMP = 1;
    /** ICMPv6 destination unreachable, code = the ICMPv6 code (4 port-unreachable, 3 addr, 0 no-route, 1 admin...). */
    public static final int ICMPV6 = 2;
    /** TCP reset ({@code reject with tcp reset}); a packet that is not TCP gets ... nothing (nft only allows it with a tcp match). */
    public static final int TCP_RESET = 3;

    private RejectCodes()
    {
    }

    public static int of(final int kind, final int code)
    {
        return kind << 8 | (code & 0xFF);
    }

    public static int kind(final int reject)
    {
        return reject >>> 8;
    }

    public static int code(final int reject)
    {
        return reject & 0xFF;
    }
}
