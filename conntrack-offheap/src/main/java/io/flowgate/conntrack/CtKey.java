package io.flowgate.conntrack;

/**
 * A connection tuple as a reusable, mutable key ({@code struct nf_conntrack_tuple} plus the zone): one
 * instance per worker, overwritten per packet, never stored. IPv4 addresses sit in the low 32 bits of
 * {@link #srcLo}/{@link #dstLo} with the high words 0; IPv6 addresses use both longs, high first.
 * For ICMP and ICMPv6 {@link #srcPort} is the identifier and {@link #dstPort} is {@code type << 8 | code}
 * (Linux's {@code u.icmp.id}, {@code dst.u.icmp.type/code}); protocols without ports leave both 0.
 */
public final class CtKey
{
    public int family;
    public int protocol;
    public int zone;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;
    public int srcPort;
    public int dstPort;

    public CtKey ipv4(final int zone, final int protocol, final int src, final int dst, final int srcPort, final int dstPort)
    {
        this.family = CtRecord.FAMILY_IPV4;
        this.protocol = protocol;
        this.zone = zone;
        this.srcHi = 0;
        this.srcLo = src & 0xFFFF_FFFFL;
        this.dstHi = 0;
        this.dstLo = dst & 0xFFFF_FFFFL;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    public CtKey ipv6(final int zone, final int protocol, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                      final int srcPort, final int dstPort)
    {
        this.family = CtRecord.FAMILY_IPV6;
        this.protocol = protocol;
        this.zone = zone;
        this.srcHi = srcHi;
        this.srcLo = srcLo;
        this.dstHi = dstHi;
        this.dstLo = dstLo;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        return this;
    }

    public CtKey copyFrom(final CtKey other)
    {
        family = other.family;
        protocol = other.protocol;
        zone = other.zone;
        srcHi = other.srcHi;
        srcLo = other.srcLo;
        dstHi = other.dstHi;
        dstLo = other.dstLo;
        srcPort = other.srcPort;
        dstPort = other.dstPort;
        return this;
    }

    /** The IPv4 source address as an int (valid when {@link #family} is 4). */
    public int src4()
    {
        return (int)srcLo;
    }

    public int dst4()
    {
        return (int)dstLo;
    }

    @Override
    public String toString()
    {
        return "CtKey{family=" + family + ", protocol=" + protocol + ", zone=" + zone + ", src=" + Long.toHexString(srcHi) + ":" +
            Long.toHexString(srcLo) + ", dst=" + Long.toHexString(dstHi) + ":" + Long.toHexString(dstLo) + ", sport=" + srcPort +
            ", dport=" + dstPort + "}";
    }
}
