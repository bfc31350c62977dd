package io.flowgate.pipeline.rules.model;

/**
 * What a match reads of a packet, with the width of its values in bits. The protocol-specific fields
 * ({@code tcp dport}, {@code icmp type}, {@code ip saddr}) carry nft's implicit dependency: a packet without that
 * header (another protocol, the other family, a non-first fragment) never matches them, whatever the operator
 * (nft's payload expression breaks the rule). {@link #dependencyProtocol} and {@link #dependencyFamily} say which.
 * <p>
 * Values per field: ports and interfaces are numbers (interfaces by name in {@link Match#names});
 * {@code CT_STATE} uses nft's bits (invalid 1, established 2, related 4, new 8, untracked 64); {@code CT_STATUS}
 * Linux's {@code IPS_*} bits; {@code TCP_FLAGS} the header's flag byte (fin 1 ... cwr 128);
 * {@code META_LENGTH} the length of the packet from its network header (nft's {@code skb->len} at these hooks).
 */
public enum Field
{
    IIF("iif", 16, -1, null),
    OIF("oif", 16, -1, null),
    IIFNAME("iifname", 16, -1, null),
    OIFNAME("oifname", 16, -1, null),
    /** {@code meta nfproto ipv4|ipv6}: the family of the packet (useful in inet tables). */
    META_NFPROTO("meta nfproto", 8, -1, null),
    META_L4PROTO("meta l4proto", 8, -1, null),
    IP_PROTOCOL("ip protocol", 8, -1, Family.IP),
    IP_SADDR("ip saddr", 32, -1, Family.IP),
    IP_DADDR("ip daddr", 32, -1, Family.IP),
    IP6_SADDR("ip6 saddr", 128, -1, Family.IP6),
    IP6_DADDR("ip6 daddr", 128, -1, Family.IP6),
    TCP_SPORT("tcp sport", 16, 6, null),
    TCP_DPORT("tcp dport", 16, 6, null),
    UDP_SPORT("udp sport", 16, 17, null),
    UDP_DPORT("udp dport", 16, 17, null),
    TCP_FLAGS("tcp flags", 8, 6, null),
    ICMP_TYPE("icmp type", 8, 1, Family.IP),
    ICMPV6_TYPE("icmpv6 type", 8, 58, Family.IP6),
    CT_STATE("ct state", 32, -1, null),
    CT_STATUS("ct status", 32, -1, null),
    CT_MARK("ct mark", 32, -1, null),
    META_MARK("meta mark", 32, -1, null),
    META_LENGTH("meta length", 32, -1, null);

    /** How nft writes the field (the printer's form). */
    public final String keyword;
    public final int bits;
    /** The L4 protocol a packet must carry for the field to exist, -1 when none. */
    public final int dependencyProtocol;
    /** The family a packet must be of for the field to exist, null when any. */
    public final Family dependencyFamily;

    Field(final String keyword, final int bits, final int dependencyProtocol, final Family dependencyFamily)
    {
        this.keyword = keyword;
        this.bits = bits;
        this.dependencyProtocol = dependencyProtocol;
        this.dependencyFamily = dependencyFamily;
    }

    /** Matched by interface name ({@link Match#names}), resolved against the router's ports when compiled. */
    public boolean isInterface()
    {
        return this == IIF || this == OIF || this == IIFNAME || this == OIFNAME;
    }

    /** Values are bit sets (nft's bitmask types: {@code ct state established,related} means any of them). */
    public boolean isBitmask()
    {
        return this == CT_STATE || this == CT_STATUS || this == TCP_FLAGS;
    }

    /** A statement can change the field while the chain runs ({@code meta mark set}, {@code ct mark set}). */
    public boolean isMutable()
    {
        return this == META_MARK || this == CT_MARK;
    }

    public long maxValue()
    {
        return bits >= 64 ? -1L : (1L << bits) - 1;
    }
}
