package io.flowgate.pipeline.rules.model;

import java.math.BigInteger;
import java.util.List;

/**
 * A match on one field: {@code FIELD [& MASK] [==|!=] VALUES}. A packet's value {@code v} of {@link #field}
 * (after {@code v & mask} when {@link #mask} is not -1) matches when it lies in one of {@link #intervals}, or,
 * with {@link Op#NEQ}, in none of them. {@link Op#ANY_BIT} is nft's implicit operator for bitmask fields
 * ({@code ct state established,related}, {@code tcp flags syn}): {@code v & mask != 0}, with {@code mask} the
 * named bits and no intervals. Interface fields match by {@link #names} instead (nft's {@code *} suffix is a
 * wildcard in {@code iifname}/{@code oifname}). {@link #setName} names the set when the values came from
 * {@code @set} (the intervals are then that set's elements); null for literal values and anonymous sets.
 * <p>
 * A packet without the field (see {@link Field}) matches no Match on it, whatever the operator.
 */
public record Match(Field field, Op op, long mask, List<Interval> intervals, List<String> names, String setName,
                    Origin origin) implements Expr
{
    public enum Op
    {
        EQ, NEQ, ANY_BIT
    }

    public Match
    {
        intervals = List.copyOf(intervals);
        names = List.copyOf(names);
    }

    /** {@code field [& mask] op intervals}. */
    public static Match of(final Field field, final Op op, final long mask, final List<Interval> intervals, final Origin origin)
    {
        return new Match(field, op, mask, intervals, List.of(), null, origin);
    }

    /** Whether value {@code v} (the field's, present in the packet) satisfies this match; interface fields excluded. */
    public boolean test(final long v)
    {
        final long masked = mask == -1L ? v : v & mask;
        if (op == Op.ANY_BIT)
        {
            return masked != 0;
        }
        boolean in = false;
        final BigInteger value = field.bits == 64 || masked < 0 ? new BigInteger(Long.toUnsignedString(masked)) : BigInteger.valueOf(masked);
        for (final Interval interval : intervals)
        {
            if (interval.contains(value))
            {
                in = true;
                break;
            }
        }
        return in != (op == Op.NEQ);
    }

    /** Whether the 128-bit value {@code hi:lo} satisfies this match (IPv6 address fields; no mask). */
    public boolean test128(final long hi, final long lo)
    {
        final BigInteger value = new BigInteger(Long.toUnsignedString(hi)).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(lo)));
        boolean in = false;
        for (final Interval interval : intervals)
        {
            if (interval.contains(value))
            {
                in = true;
                break;
            }
        }
        return in != (op == Op.NEQ);
    }
}
