package io.flowgate.pmd.header;

/**
 * IP protocol numbers (IANA "Assigned Internet Protocol Numbers"): the IPv4 Protocol field and the IPv6
 * Next Header field, which share one registry.
 */
public final class IpProtocol
{
    /** IPv6 Hop-by-Hop Options extension header (RFC 8200 4.3). */
    public static final int HOPOPT = 0;
    public static final int ICMP = 1;
    public static final int IGMP = 2;
    /** IPv4 in IP (RFC 2003). */
    public static final int IPIP = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    /** IPv6 in IP (RFC 2473, 4213). */
    public static final int IPV6 = 41;
    /** IPv6 Routing extension header (RFC 8200 4.4). */
    public static final int IPV6_ROUTE = 43;
    /** IPv6 Fragment extension header (RFC 8200 4.5). */
    public static final int IPV6_FRAG = 44;
    public static final int GRE = 47;
    public static final int ESP = 50;
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    /** IPv6 "No Next Header" (RFC 8200 4.7). */
    public static final int IPV6_NONXT = 59;
    /** IPv6 Destination Options extension header (RFC 8200 4.6). */
    public static final int IPV6_OPTS = 60;
    public static final int SCTP = 132;
    public static final int UDPLITE = 136;

    private IpProtocol()
    {
    }
}
