package io.flowgate.pipeline.rules.classify;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * One {@link Match} in the form both classifiers evaluate: interface names resolved to port ids, intervals sorted,
 * merged and, for {@link Match.Op#NEQ}, complemented over the field's domain, so that a match holds exactly when the
 * packet has the field and its (masked) value lies in one of {@link #lo}/{@link #hi} (unsigned). 128-bit fields
 * keep their bounds as {@code hi:lo} word pairs.
 * <p>
 * Thread-safety: immutable after construction.
 */
final class CompiledMatch
{
    final Field field;
    /** The key a packet's value is read from (see {@link #present}, {@link #value}). */
    final int key;
    /** -1: none. */
    final long mask;
    /** Largest value of the (masked) domain. */
    final long domainMax;
    final boolean wide;
    /** Admitted intervals, sorted and disjoint; for 128-bit fields the low words ({@link #lo2}, {@link #hi2}: high words). */
    final long[] lo;
    final long[] hi;
    final long[] lo2;
    final long[] hi2;

    static final int KEY_IIF = 0;
    static final int KEY_OIF = 1;
    static final int KEY_NFPROTO = 2;
    static final int KEY_L4PROTO = 3;
    static final int KEY_IP_PROTOCOL = 4;
    static final int KEY_SADDR = 5;
    static final int KEY_DADDR = 6;
    static final int KEY_SADDR6 = 7;
    static final int KEY_DADDR6 = 8;
    static final int KEY_TCP_SPORT = 9;
    static final int KEY_TCP_DPORT = 10;
    static final int KEY_UDP_SPORT = 11;
    static final int KEY_UDP_DPORT = 12;
    static final int KEY_TCP_FLAGS = 13;
    static final int KEY_ICMP_TYPE = 14;
    static final int KEY_ICMPV6_TYPE = 15;
    static final int KEY_CT_STATE = 16;
    static final int KEY_CT_STATUS = 17;
    static final int KEY_CT_MARK = 18;
    static final int KEY_META_MARK = 19;
    static final int KEY_LENGTH = 20;

    /**
     * Composite keys (the classifier's, never a Match's): {@code l4proto << 17 | (port + 1)}, port 0 when the packet
     * has no TCP/UDP port. {@code meta l4proto} and the TCP and UDP port fields become intervals of one dimension
     * (their presence conditions exclude each other), so a chain of 5-tuple rules needs 4 dimensions, not 7.
     */
    static final int KEY_PROTO_DPORT = 21;
    static final int KEY_PROTO_SPORT = 22;
    static final int PORT_BITS = 17;
    static final long COMPOSITE_MAX = (255L << PORT_BITS) | 0x1FFFF;

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /** A match on a composite key with the given intervals. */
    private CompiledMatch(final Field field, final int key, final long[] lo, final long[] hi)
    {
        this.field = field;
        this.key = key;
        this.mask = -1L;
        this.domainMax = COMPOSITE_MAX;
        this.wide = false;
        this.lo = lo;
        this.hi = hi;
        this.lo2 = new long[lo.length];
        this.hi2 = new long[lo.length];
    }

    /**
     * This match as one on a composite key ({@link #KEY_PROTO_DPORT}, {@link #KEY_PROTO_SPORT}), or null when it
     * has none (another field, or a mask). {@code meta l4proto} goes to the destination-port composite.
     */
    CompiledMatch composite()
    {
        if (mask != -1L)
        {
            return null;
        }
        final int n = lo.length;
        final long[] l = new long[n];
        final long[] h = new long[n];
        final int compositeKey;
        switch (key)
        {
            case KEY_L4PROTO ->
            {
                compositeKey = KEY_PROTO_DPORT;
                for (int i = 0; i < n; i++)
                {
                    l[i] = lo[i] << PORT_BITS;
                    h[i] = (hi[i] << PORT_BITS) | 0x1FFFF;
                }
            }
            case KEY_TCP_DPORT, KEY_UDP_DPORT, KEY_TCP_SPORT, KEY_UDP_SPORT ->
            {
                compositeKey = key == KEY_TCP_DPORT || key == KEY_UDP_DPORT ? KEY_PROTO_DPORT : KEY_PROTO_SPORT;
                final long proto = (key == KEY_TCP_DPORT || key == KEY_TCP_SPORT ? 6L : 17L) << PORT_BITS;
                for (int i = 0; i < n; i++)
                {
                    l[i] = proto | (lo[i] + 1);
                    h[i] = proto | (hi[i] + 1);
                }
            }
            default ->
            {
                return null;
            }
        }
        return new CompiledMatch(field, compositeKey, l, h);
    }

    /** The composite value of packet {@code p} for {@code key} (PROTO_DPORT or PROTO_SPORT), -1 without l4proto. */
    static long composite(final int key, final RuleKeys k, final int p)
    {
        final int proto = k.l4proto[p];
        if (proto < 0 || proto > 255)
        {
            return -1;
        }
        final int port = key == KEY_PROTO_DPORT ? k.dport[p] : k.sport[p];
        final boolean ports = (proto == 6 || proto == 17) && port >= 0 && port <= 0xFFFF;
        return ((long) proto << PORT_BITS) | (ports ? port + 1 : 0);
    }

    CompiledMatch(final Match m, final List<String> portNames) throws RulesetException
    {
        field = m.field();
        key = keyOf(field);
        wide = field.bits == 128;
        mask = wide ? -1L : m.mask();
        final BigInteger max = wide ? TWO_64.shiftLeft(64).subtract(BigInteger.ONE)
            : BigInteger.valueOf(mask == -1L ? field.maxValue() : Math.min(field.maxValue(), mask));
        domainMax = wide ? -1L : max.longValue();

        final List<BigInteger[]> set = new ArrayList<>();
        if (m.op() == Match.Op.ANY_BIT)
        {
            // (v & mask) != 0: every masked value but 0
            if (max.signum() > 0)
            {
                set.add(new BigInteger[] {BigInteger.ONE, max});
            }
        }
        else
        {
            final List<BigInteger[]> raw = new ArrayList<>();
            for (final Interval i : m.intervals())
            {
                if (i.lo().compareTo(max) <= 0)
                {
                    raw.add(new BigInteger[] {i.lo(), i.hi().min(max)});
                }
            }
            if (field.isInterface())
            {
                for (final String name : m.names())
                {
                    boolean found = false;
                    for (int id = 0; id < portNames.size(); id++)
                    {
                        final String port = portNames.get(id);
                        if (port != null && nameMatches(field, name, port))
                        {
                            raw.add(new BigInteger[] {BigInteger.valueOf(id), BigInteger.valueOf(id)});
                            found = true;
                        }
                    }
                    if (!found && (field == Field.IIF || field == Field.OIF))
                    {
                        throw new RulesetException(m.origin(), "Interface does not exist: " + name);
                    }
                }
            }
            raw.sort(Comparator.comparing((BigInteger[] a) -> a[0]));
            for (final BigInteger[] r : raw)
            {
                final BigInteger[] last = set.isEmpty() ? null : set.get(set.size() - 1);
                if (last != null && r[0].compareTo(last[1].add(BigInteger.ONE)) <= 0)
                {
                    last[1] = last[1].max(r[1]);
                }
                else
                {
                    set.add(new BigInteger[] {r[0], r[1]});
                }
            }
            if (m.op() == Match.Op.NEQ)
            {
                final List<BigInteger[]> complement = new ArrayList<>();
                BigInteger next = BigInteger.ZERO;
                for (final BigInteger[] r : set)
                {
                    if (r[0].compareTo(next) > 0)
                    {
                        complement.add(new BigInteger[] {next, r[0].subtract(BigInteger.ONE)});
                    }
                    next = r[1].add(BigInteger.ONE);
                }
                if (next.compareTo(max) <= 0)
                {
                    complement.add(new BigInteger[] {next, max});
                }
                set.clear();
                set.addAll(complement);
            }
        }
        final int n = set.size();
        lo = new long[n];
        hi = new long[n];
        lo2 = new long[n];
        hi2 = new long[n];
        for (int i = 0; i < n; i++)
        {
            lo[i] = set.get(i)[0].longValue();
            hi[i] = set.get(i)[1].longValue();
            lo2[i] = set.get(i)[0].shiftRight(64).longValue();
            hi2[i] = set.get(i)[1].shiftRight(64).longValue();
        }
    }

    /** nft's interface name match: exact, or a prefix when the pattern ends in {@code *} (iifname/oifname only). */
    static boolean nameMatches(final Field field, final String pattern, final String name)
    {
        if ((field == Field.IIFNAME || field == Field.OIFNAME) && pattern.endsWith("*"))
        {
            return name.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(name);
    }

    static int keyOf(final Field f)
    {
        return switch (f)
        {
            case IIF, IIFNAME -> KEY_IIF;
            case OIF, OIFNAME -> KEY_OIF;
            case META_NFPROTO -> KEY_NFPROTO;
            case META_L4PROTO -> KEY_L4PROTO;
            case IP_PROTOCOL -> KEY_IP_PROTOCOL;
            case IP_SADDR -> KEY_SADDR;
            case IP_DADDR -> KEY_DADDR;
            case IP6_SADDR -> KEY_SADDR6;
            case IP6_DADDR -> KEY_DADDR6;
            case TCP_SPORT -> KEY_TCP_SPORT;
            case TCP_DPORT -> KEY_TCP_DPORT;
            case UDP_SPORT -> KEY_UDP_SPORT;
            case UDP_DPORT -> KEY_UDP_DPORT;
            case TCP_FLAGS -> KEY_TCP_FLAGS;
            case ICMP_TYPE -> KEY_ICMP_TYPE;
            case ICMPV6_TYPE -> KEY_ICMPV6_TYPE;
            case CT_STATE -> KEY_CT_STATE;
            case CT_STATUS -> KEY_CT_STATUS;
            case CT_MARK -> KEY_CT_MARK;
            case META_MARK -> KEY_META_MARK;
            case META_LENGTH -> KEY_LENGTH;
        };
    }

    /** Whether packet {@code p} has the field read by {@code key} (nft's implicit protocol and family dependencies). */
    static boolean present(final int key, final RuleKeys k, final int p)
    {
        return switch (key)
        {
            case KEY_IIF -> k.iif[p] >= 0;
            case KEY_OIF -> k.oif[p] >= 0;
            case KEY_NFPROTO, KEY_CT_STATE, KEY_CT_STATUS, KEY_CT_MARK, KEY_META_MARK, KEY_LENGTH -> true;
            case KEY_L4PROTO -> k.l4proto[p] >= 0;
            case KEY_IP_PROTOCOL, KEY_SADDR, KEY_DADDR -> k.nfproto[p] == RuleKeys.NFPROTO_IPV4;
            case KEY_SADDR6, KEY_DADDR6 -> k.nfproto[p] == RuleKeys.NFPROTO_IPV6;
            case KEY_TCP_SPORT -> k.l4proto[p] == 6 && k.sport[p] >= 0;
            case KEY_TCP_DPORT -> k.l4proto[p] == 6 && k.dport[p] >= 0;
            case KEY_UDP_SPORT -> k.l4proto[p] == 17 && k.sport[p] >= 0;
            case KEY_UDP_DPORT -> k.l4proto[p] == 17 && k.dport[p] >= 0;
            case KEY_TCP_FLAGS -> k.l4proto[p] == 6 && k.tcpFlags[p] >= 0;
            case KEY_ICMP_TYPE -> k.nfproto[p] == RuleKeys.NFPROTO_IPV4 && k.l4proto[p] == 1 && k.icmpType[p] >= 0;
            case KEY_ICMPV6_TYPE -> k.nfproto[p] == RuleKeys.NFPROTO_IPV6 && k.l4proto[p] == 58 && k.icmpType[p] >= 0;
            default -> false;
        };
    }

    /** The field's value for packet {@code p} (unsigned, at most 32 bits), when {@link #present}. */
    static long value(final int key, final RuleKeys k, final int p)
    {
        return switch (key)
        {
            case KEY_IIF -> k.iif[p];
            case KEY_OIF -> k.oif[p];
            case KEY_NFPROTO -> k.nfproto[p] & 0xFFFFFFFFL;
            case KEY_L4PROTO, KEY_IP_PROTOCOL -> k.l4proto[p];
            case KEY_SADDR -> k.saddr[p] & 0xFFFFFFFFL;
            case KEY_DADDR -> k.daddr[p] & 0xFFFFFFFFL;
            case KEY_TCP_SPORT, KEY_UDP_SPORT -> k.sport[p];
            case KEY_TCP_DPORT, KEY_UDP_DPORT -> k.dport[p];
            case KEY_TCP_FLAGS -> k.tcpFlags[p];
            case KEY_ICMP_TYPE, KEY_ICMPV6_TYPE -> k.icmpType[p];
            case KEY_CT_STATE -> k.ctState[p] & 0xFFFFFFFFL;
            case KEY_CT_STATUS -> k.ctStatus[p] & 0xFFFFFFFFL;
            case KEY_CT_MARK -> k.ctMark[p] & 0xFFFFFFFFL;
            case KEY_META_MARK -> k.metaMark[p] & 0xFFFFFFFFL;
            case KEY_LENGTH -> k.length[p] & 0xFFFFFFFFL;
            default -> 0;
        };
    }

    /**
     * The field's value for packet {@code p} (unsigned, at most 32 bits), or -1 when the packet does not have it: one
     * switch for {@link #present} and {@link #value} together (the classifier's path).
     */
    static long valueOrAbsent(final int key, final RuleKeys k, final int p)
    {
        return switch (key)
        {
            case KEY_IIF -> k.iif[p] >= 0 ? k.iif[p] : -1;
            case KEY_OIF -> k.oif[p] >= 0 ? k.oif[p] : -1;
            case KEY_NFPROTO -> k.nfproto[p] & 0xFFFFFFFFL;
            case KEY_L4PROTO -> k.l4proto[p] >= 0 ? k.l4proto[p] : -1;
            case KEY_IP_PROTOCOL -> k.nfproto[p] == RuleKeys.NFPROTO_IPV4 && k.l4proto[p] >= 0 ? k.l4proto[p] : -1;
            case KEY_SADDR -> k.nfproto[p] == RuleKeys.NFPROTO_IPV4 ? k.saddr[p] & 0xFFFFFFFFL : -1;
            case KEY_DADDR -> k.nfproto[p] == RuleKeys.NFPROTO_IPV4 ? k.daddr[p] & 0xFFFFFFFFL : -1;
            case KEY_TCP_SPORT -> k.l4proto[p] == 6 && k.sport[p] >= 0 ? k.sport[p] : -1;
            case KEY_TCP_DPORT -> k.l4proto[p] == 6 && k.dport[p] >= 0 ? k.dport[p] : -1;
            case KEY_UDP_SPORT -> k.l4proto[p] == 17 && k.sport[p] >= 0 ? k.sport[p] : -1;
            case KEY_UDP_DPORT -> k.l4proto[p] == 17 && k.dport[p] >= 0 ? k.dport[p] : -1;
            case KEY_TCP_FLAGS -> k.l4proto[p] == 6 && k.tcpFlags[p] >= 0 ? k.tcpFlags[p] : -1;
            case KEY_ICMP_TYPE -> k.nfproto[p] == RuleKeys.NFPROTO_IPV4 && k.l4proto[p] == 1 && k.icmpType[p] >= 0 ? k.icmpType[p] : -1;
            case KEY_ICMPV6_TYPE -> k.nfproto[p] == RuleKeys.NFPROTO_IPV6 && k.l4proto[p] == 58 && k.icmpType[p] >= 0 ? k.icmpType[p] : -1;
            case KEY_CT_STATE -> k.ctState[p] & 0xFFFFFFFFL;
            case KEY_CT_STATUS -> k.ctStatus[p] & 0xFFFFFFFFL;
            case KEY_CT_MARK -> k.ctMark[p] & 0xFFFFFFFFL;
            case KEY_META_MARK -> k.metaMark[p] & 0xFFFFFFFFL;
            case KEY_LENGTH -> k.length[p] & 0xFFFFFFFFL;
            default -> -1;
        };
    }

    /** The array of {@link RuleKeys} that holds {@code key}'s values (not for the 128-bit keys). */
    static int[] source(final int key, final RuleKeys k)
    {
        return switch (key)
        {
            case KEY_IIF -> k.iif;
            case KEY_OIF -> k.oif;
            case KEY_NFPROTO -> k.nfproto;
            case KEY_L4PROTO, KEY_IP_PROTOCOL -> k.l4proto;
            case KEY_SADDR -> k.saddr;
            case KEY_DADDR -> k.daddr;
            case KEY_TCP_SPORT, KEY_UDP_SPORT -> k.sport;
            case KEY_TCP_DPORT, KEY_UDP_DPORT -> k.dport;
            case KEY_TCP_FLAGS -> k.tcpFlags;
            case KEY_ICMP_TYPE, KEY_ICMPV6_TYPE -> k.icmpType;
            case KEY_CT_STATE -> k.ctState;
            case KEY_CT_STATUS -> k.ctStatus;
            case KEY_CT_MARK -> k.ctMark;
            case KEY_META_MARK -> k.metaMark;
            case KEY_LENGTH -> k.length;
            default -> throw new IllegalArgumentException("no int source for key " + key);
        };
    }

    /** The family ({@link RuleKeys#nfproto}) a packet must have for {@code key} to exist; 0 when any. */
    static int requiredFamily(final int key)
    {
        return switch (key)
        {
            case KEY_IP_PROTOCOL, KEY_SADDR, KEY_DADDR, KEY_ICMP_TYPE -> RuleKeys.NFPROTO_IPV4;
            case KEY_SADDR6, KEY_DADDR6, KEY_ICMPV6_TYPE -> RuleKeys.NFPROTO_IPV6;
            default -> 0;
        };
    }

    /** The transport protocol a packet must have for {@code key} to exist; -1 when any. */
    static int requiredProtocol(final int key)
    {
        return switch (key)
        {
            case KEY_TCP_SPORT, KEY_TCP_DPORT, KEY_TCP_FLAGS -> 6;
            case KEY_UDP_SPORT, KEY_UDP_DPORT -> 17;
            case KEY_ICMP_TYPE -> 1;
            case KEY_ICMPV6_TYPE -> 58;
            default -> -1;
        };
    }

    /** Whether a negative value ({@link RuleKeys#ABSENT}) means the packet lacks {@code key}; else it is unsigned 32-bit. */
    static boolean negativeIsAbsent(final int key)
    {
        return switch (key)
        {
            case KEY_IIF, KEY_OIF, KEY_L4PROTO, KEY_IP_PROTOCOL, KEY_TCP_SPORT, KEY_TCP_DPORT, KEY_UDP_SPORT,
                 KEY_UDP_DPORT, KEY_TCP_FLAGS, KEY_ICMP_TYPE, KEY_ICMPV6_TYPE -> true;
            default -> false;
        };
    }

    /** Whether the match holds for packet {@code p}: no allocation. */
    boolean holds(final RuleKeys k, final int p)
    {
        if (!present(key, k, p))
        {
            return false;
        }
        if (wide)
        {
            final long vh = key == KEY_SADDR6 ? k.saddr6Hi[p] : k.daddr6Hi[p];
            final long vl = key == KEY_SADDR6 ? k.saddr6Lo[p] : k.daddr6Lo[p];
            for (int i = 0; i < lo.length; i++)
            {
                if (compare128(lo2[i], lo[i], vh, vl) <= 0 && compare128(vh, vl, hi2[i], hi[i]) <= 0)
                {
                    return true;
                }
            }
            return false;
        }
        long v = value(key, k, p);
        if (v < 0 || v > (mask == -1L ? field.maxValue() : Long.MAX_VALUE))
        {
            return false;
        }
        if (mask != -1L)
        {
            v &= mask;
        }
        for (int i = 0; i < lo.length; i++)
        {
            if (lo[i] <= v && v <= hi[i])
            {
                return true;
            }
        }
        return false;
    }

    static int compare128(final long ah, final long al, final long bh, final long bl)
    {
        final int c = Long.compareUnsigned(ah, bh);
        return c != 0 ? c : Long.compareUnsigned(al, bl);
    }
}
