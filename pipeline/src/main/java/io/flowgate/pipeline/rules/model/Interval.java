package io.flowgate.pipeline.rules.model;

import java.math.BigInteger;

/**
 * A closed interval [lo, hi] of a field's values, unsigned. Single values, prefixes ({@code 10.0.0.0/8}) and
 * ranges ({@code 1024-2047}) all become intervals; IPv6 addresses are 128-bit values, hence BigInteger (control
 * path only).
 */
public record Interval(BigInteger lo, BigInteger hi)
{
    public Interval
    {
        if (lo.signum() < 0 || lo.compareTo(hi) > 0)
        {
            throw new IllegalArgumentException("bad interval " + lo + "-" + hi);
        }
    }

    public static Interval of(final long value)
    {
        final BigInteger v = BigInteger.valueOf(value);
        return new Interval(v, v);
    }

    public static Interval of(final long lo, final long hi)
    {
        return new Interval(BigInteger.valueOf(lo), BigInteger.valueOf(hi));
    }

    /** The prefix {@code value/length} of a {@code bits}-wide field. */
    public static Interval prefix(final BigInteger value, final int length, final int bits)
    {
        final BigInteger host = BigInteger.ONE.shiftLeft(bits - length).subtract(BigInteger.ONE);
        final BigInteger lo = value.andNot(host);
        return new Interval(lo, lo.or(host));
    }

    public boolean contains(final BigInteger value)
    {
        return lo.compareTo(value) <= 0 && value.compareTo(hi) <= 0;
    }

    public boolean isSingle()
    {
        return lo.equals(hi);
    }
}
