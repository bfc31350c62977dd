package io.flowgate.app.ct;

import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;

/**
 * What {@code conntrack -L/-D/-U/-E} filter on, as conntrack-tools matches it: the original tuple
 * ({@code -s -d --sport --dport}), the reply tuple ({@code -r -q --reply-port-src --reply-port-dst}), the
 * protocol, family, TCP state, mark (value/mask), zone, status bits and ICMP type/code/id. Unset fields
 * (-1, or a null address) match anything. Control plane only.
 */
public final class CtFilter
{
    /** Address filter: family plus value; {@code prefix} bits compared (128 or 32 for an exact address). */
    public static final class Address
    {
        final int family;
        final long hi;
        final long lo;
        final int prefix;

        public Address(final int family, final long hi, final long lo, final int prefix)
        {
            this.family = family;
            this.hi = hi;
            this.lo = lo;
            this.prefix = prefix;
        }

        boolean matches(final int entryFamily, final long entryHi, final long entryLo)
        {
            if (entryFamily != family)
            {
                return false;
            }
            if (family == CtRecord.FAMILY_IPV4)
            {
                final long mask = prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
                return ((entryLo ^ lo) & mask) == 0;
            }
            final long hiMask = prefix >= 64 ? -1L : prefix == 0 ? 0 : -1L << (64 - prefix);
            final long loMask = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
            return ((entryHi ^ hi) & hiMask) == 0 && ((entryLo ^ lo) & loMask) == 0;
        }
    }

    public int family = -1;
    public int protocol = -1;
    /** [direction] original 0, reply 1. */
    public final Address[] src = new Address[2];
    public final Address[] dst = new Address[2];
    public final int[] srcPort = {-1, -1};
    public final int[] dstPort = {-1, -1};
    public int icmpType = -1;
    public int icmpCode = -1;
    public int icmpId = -1;
    public int tcpState = -1;
    public long markValue = -1;
    public long markMask = 0xFFFF_FFFFL;
    public int zone = -1;
    /** Status bits that must be set. */
    public int statusSet;
    /** Status bits that must be clear ({@code UNREPLIED} is SEEN_REPLY clear). */
    public int statusClear;

    public boolean matches(final CtEntry entry)
    {
        if (family != -1 && entry.family != family || protocol != -1 && entry.protocol != protocol)
        {
            return false;
        }
        for (int dir = 0; dir < 2; dir++)
        {
            if (src[dir] != null && !src[dir].matches(entry.family, entry.srcHi[dir], entry.srcLo[dir]) ||
                dst[dir] != null && !dst[dir].matches(entry.family, entry.dstHi[dir], entry.dstLo[dir]) ||
                srcPort[dir] != -1 && (!hasPorts(entry.protocol) || entry.srcPort[dir] != srcPort[dir]) ||
                dstPort[dir] != -1 && (!hasPorts(entry.protocol) || entry.dstPort[dir] != dstPort[dir]))
            {
                return false;
            }
        }
        final boolean icmp = entry.protocol == 1 || entry.protocol == 58;
        if (icmpType != -1 && (!icmp || (entry.dstPort[0] >>> 8 & 0xFF) != icmpType) ||
            icmpCode != -1 && (!icmp || (entry.dstPort[0] & 0xFF) != icmpCode) ||
            icmpId != -1 && (!icmp || entry.srcPort[0] != icmpId))
        {
            return false;
        }
        if (tcpState != -1 && (entry.protocol != 6 || entry.tcpState != tcpState))
        {
            return false;
        }
        if (markValue != -1 && ((entry.mark & 0xFFFF_FFFFL) & markMask) != (markValue & markMask))
        {
            return false;
        }
        if (zone != -1 && entry.zone != zone)
        {
            return false;
        }
        return (entry.status & statusSet) == statusSet && (entry.status & statusClear) == 0;
    }

    /** True when the original tuple is complete, so {@code conntrack -G} can look it up: family, protocol, both addresses and, for port protocols, both ports. */
    public boolean hasOriginalTuple()
    {
        if (protocol == -1 || src[0] == null || dst[0] == null)
        {
            return false;
        }
        if (hasPorts(protocol))
        {
            return srcPort[0] != -1 && dstPort[0] != -1;
        }
        if (protocol == 1 || protocol == 58)
        {
            return icmpType != -1 && icmpCode != -1 && icmpId != -1;
        }
        return true;
    }

    /** The original tuple as a lookup key (see {@link #hasOriginalTuple}). */
    public CtKey originalKey(final CtKey key)
    {
        final int keyZone = zone == -1 ? 0 : zone;
        final int sport;
        final int dport;
        if (protocol == 1 || protocol == 58)
        {
            sport = icmpId;
            dport = icmpType << 8 | icmpCode;
        }
        else
        {
            sport = Math.max(srcPort[0], 0);
            dport = Math.max(dstPort[0], 0);
        }
        if (src[0].family == CtRecord.FAMILY_IPV4)
        {
            return key.ipv4(keyZone, protocol, (int)src[0].lo, (int)dst[0].lo, sport, dport);
        }
        return key.ipv6(keyZone, protocol, src[0].hi, src[0].lo, dst[0].hi, dst[0].lo, sport, dport);
    }

    static boolean hasPorts(final int protocol)
    {
        return protocol == 6 || protocol == 17 || protocol == 136 || protocol == 132 || protocol == 33;
    }

    /** Status names as {@code conntrack -u} accepts them, plus {@code UNREPLIED} (SEEN_REPLY clear) and {@code UNSET} (none). */
    static void addStatus(final CtFilter filter, final String names)
    {
        for (final String name : names.split(","))
        {
            final String upper = name.trim().toUpperCase(java.util.Locale.ROOT);
            if (upper.equals("UNREPLIED"))
            {
                filter.statusClear |= CtStatus.SEEN_REPLY;
                continue;
            }
            if (upper.equals("UNSET"))
            {
                continue;
            }
            int bit = -1;
            for (int i = 0; i < 16; i++)
            {
                if (CtStatus.names(1 << i).equals(upper))
                {
                    bit = i;
                    break;
                }
            }
            if (bit < 0)
            {
                throw new IllegalArgumentException("unknown status: " + name);
            }
            filter.statusSet |= 1 << bit;
        }
    }
}
