package io.flowgate.pipeline.rules.classify;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * One chain's rules compiled into a multi-field classifier. {@link #next} finds, for one packet, the first rule at
 * or after a position whose classified matches all hold, with the cost nearly independent of the number of rules;
 * the runtime then evaluates that rule's expressions in order, testing with {@link #test} the matches the
 * classifier left undecided ({@link #decided}), and continues with {@code next(keys, p, rule + 1)} when the rule
 * does not end the chain. The semantics are {@link LinearClassifier}'s (the reference, checked against it by a
 * property test).
 * <p>
 * How (docs/rules.md, "Classifier"): bit-vector search with aggregates (Lakshman and Stiliadis' bit vectors,
 * Baboescu and Varghese's Aggregated Bit Vector). Each dimension, a field read under one mask, cuts its domain into
 * the elementary intervals between the bounds of every match on it; each interval (and "absent") is a class, and
 * each class carries the vector of rules that admit it: rules whose matches on that dimension all hold there, and
 * every rule without a match on it. Identical vectors are stored once. A packet's class is a direct table lookup
 * (domains of at most 16 bits) or a first-level table on the top 16 bits narrowing a binary search over the
 * interval starts (32- and 128-bit addresses). The rules that match are the AND of one vector per dimension; the
 * aggregate (one bit per 64-rule word, set when the word is not zero) is ANDed first so that only words that can
 * hold a match are read.
 * <p>
 * Thread-safety: immutable after {@link #compile}; read by every worker at once. The per-packet work space is the
 * worker's {@link RuleKeys#classifierScratch}.
 */
public final class ChainClassifier
{
    private static final int DIRECT = 0;
    private static final int SEARCH32 = 1;
    private static final int SEARCH128 = 2;
    /** Largest domain (in values) looked up by a direct table. */
    private static final long DIRECT_MAX = 0xFFFF;

    private final LinearClassifier linear;
    private final int size;
    /** Words (64 rules) and aggregate words (64 words) of a vector. */
    private final int words;
    private final int aggWords;
    /** Every dimension's rows, one after another: {@code rows[offset + row * words + w]}. */
    private final long[] rows;
    private final long[] aggs;

    // Per dimension d (structure of arrays: no object per dimension on the path).
    private final int dims;
    private final int[] dimKey;
    private final long[] dimMask;
    private final long[] dimMax;
    private final int[] dimKind;
    /** Row of "field absent" (or out of its domain). */
    private final int[] dimAbsentRow;
    /** DIRECT: row per value; SEARCH*: row per class. */
    private final int[][] dimRowOf;
    /** SEARCH32: class starts (unsigned 32-bit values); SEARCH128: their low words. */
    private final long[][] dimStarts;
    /** SEARCH128: the high words of the class starts. */
    private final long[][] dimStartsHi;
    /** SEARCH*: for each top 16 bits, the first and last class that can hold the value. */
    private final int[][] dimFirst;
    private final int[][] dimLast;
    private final int[] dimRowBase;
    private final int[] dimAggBase;

    private ChainClassifier(final LinearClassifier linear, final int size, final List<Dimension> ds, final long[] rows,
        final long[] aggs)
    {
        this.linear = linear;
        this.size = size;
        this.words = (size + 63) >>> 6;
        this.aggWords = (words + 63) >>> 6;
        this.rows = rows;
        this.aggs = aggs;
        this.dims = ds.size();
        dimKey = new int[dims];
        dimMask = new long[dims];
        dimMax = new long[dims];
        dimKind = new int[dims];
        dimAbsentRow = new int[dims];
        dimRowOf = new int[dims][];
        dimStarts = new long[dims][];
        dimStartsHi = new long[dims][];
        dimFirst = new int[dims][];
        dimLast = new int[dims][];
        dimRowBase = new int[dims];
        dimAggBase = new int[dims];
        for (int d = 0; d < dims; d++)
        {
            final Dimension x = ds.get(d);
            dimKey[d] = x.key;
            dimMask[d] = x.mask;
            dimMax[d] = x.domainMax;
            dimKind[d] = x.kind;
            dimAbsentRow[d] = x.absentRow;
            dimRowOf[d] = x.rowOf;
            dimStarts[d] = x.starts;
            dimStartsHi[d] = x.startsHi;
            dimFirst[d] = x.first;
            dimLast[d] = x.last;
            dimRowBase[d] = x.rowBase;
            dimAggBase[d] = x.aggBase;
        }
    }

    /**
     * Compiles {@code rules} (a chain's, in order). {@code portNames.get(id)} is the name of port {@code id} (null
     * for an unused id): interface matches resolve against it; an {@code iif}/{@code oif} name that is no port is
     * refused with the match's origin (nft: "Interface does not exist").
     */
    public static ChainClassifier compile(final List<Rule> rules, final List<String> portNames) throws RulesetException
    {
        final LinearClassifier linear = LinearClassifier.compile(rules, portNames);
        final int n = rules.size();
        final int words = (n + 63) >>> 6;
        final int aggWords = (words + 63) >>> 6;

        // group the decided matches by dimension (key, mask), in order of first appearance
        final Map<String, List<int[]>> byDim = new LinkedHashMap<>();
        final Map<String, CompiledMatch> sample = new HashMap<>();
        final List<CompiledMatch> all = new ArrayList<>();
        for (int r = 0; r < n; r++)
        {
            final List<Expr> exprs = rules.get(r).exprs();
            for (int e = 0; e < exprs.size(); e++)
            {
                if (exprs.get(e) instanceof io.flowgate.pipeline.rules.model.Match m && linear.decided(r, e))
                {
                    final CompiledMatch cm = new CompiledMatch(m, portNames);
                    final String id = cm.key + "/" + cm.mask;
                    all.add(cm);
                    byDim.computeIfAbsent(id, k -> new ArrayList<>()).add(new int[] {r, all.size() - 1});
                    sample.putIfAbsent(id, cm);
                }
            }
        }

        final List<Dimension> ds = new ArrayList<>();
        final RowStore store = new RowStore(words, aggWords);
        for (final Map.Entry<String, List<int[]>> dim : byDim.entrySet())
        {
            ds.add(Dimension.build(sample.get(dim.getKey()), dim.getValue(), all, n, words, store));
        }
        return new ChainClassifier(linear, n, ds, store.rows(), store.aggs());
    }

    public int size()
    {
        return size;
    }

    /** Index of the first rule {@code >= from} whose decided matches all hold for packet {@code p}; -1 if none. */
    public int next(final RuleKeys keys, final int p, final int from)
    {
        if (from >= size)
        {
            return -1;
        }
        final int[] scratch = scratch(keys, 1);
        for (int d = 0; d < dims; d++)
        {
            locate(d, keys, p, scratch, d << 1);
        }
        return scan(scratch, 0, Math.max(0, from));
    }

    /**
     * Burst form of {@code next(keys, p, 0)}: {@code result[packets[k]]} for {@code k < count}. Every packet's class
     * is looked up in one dimension before the next dimension, so the independent table loads of a burst overlap.
     */
    public void classify(final RuleKeys keys, final int[] packets, final int count, final int[] result)
    {
        if (size == 0)
        {
            for (int k = 0; k < count; k++)
            {
                result[packets[k]] = -1;
            }
            return;
        }
        final int[] scratch = scratch(keys, count);
        final int stride = dims << 1;
        for (int d = 0; d < dims; d++)
        {
            for (int k = 0; k < count; k++)
            {
                locate(d, keys, packets[k], scratch, k * stride + (d << 1));
            }
        }
        for (int k = 0; k < count; k++)
        {
            result[packets[k]] = scan(scratch, k * stride, 0);
        }
    }

    private int[] scratch(final RuleKeys keys, final int packets)
    {
        final int need = Math.max(1, packets) * (dims << 1);
        if (keys.classifierScratch.length < need)
        {
            // once per worker for the largest ruleset it meets
            keys.classifierScratch = new int[Math.max(need, keys.capacity * (dims << 1))];
        }
        return keys.classifierScratch;
    }

    /** Writes the row offset and aggregate offset of packet {@code p}'s class in dimension {@code d}. */
    private void locate(final int d, final RuleKeys keys, final int p, final int[] out, final int at)
    {
        final int key = dimKey[d];
        int row = dimAbsentRow[d];
        if (CompiledMatch.present(key, keys, p))
        {
            switch (dimKind[d])
            {
                case DIRECT ->
                {
                    long v = CompiledMatch.value(key, keys, p);
                    final long mask = dimMask[d];
                    if (mask != -1L)
                    {
                        v &= mask;
                    }
                    if (v >= 0 && v <= dimMax[d])
                    {
                        row = dimRowOf[d][(int) v];
                    }
                }
                case SEARCH32 ->
                {
                    long v = CompiledMatch.value(key, keys, p);
                    final long mask = dimMask[d];
                    if (mask != -1L)
                    {
                        v &= mask;
                    }
                    if (v >= 0 && v <= dimMax[d])
                    {
                        row = dimRowOf[d][search32(dimStarts[d], dimFirst[d], dimLast[d], v)];
                    }
                }
                default ->
                {
                    final boolean src = key == CompiledMatch.KEY_SADDR6;
                    final long hi = src ? keys.saddr6Hi[p] : keys.daddr6Hi[p];
                    final long lo = src ? keys.saddr6Lo[p] : keys.daddr6Lo[p];
                    row = dimRowOf[d][search128(dimStartsHi[d], dimStarts[d], dimFirst[d], dimLast[d], hi, lo)];
                }
            }
        }
        out[at] = dimRowBase[d] + row * words;
        out[at + 1] = dimAggBase[d] + row * aggWords;
    }

    /** The class of {@code v}: the last start {@code <= v}, searched between the classes its top 16 bits allow. */
    private static int search32(final long[] starts, final int[] first, final int[] last, final long v)
    {
        final int t = (int) (v >>> 16);
        int lo = first[t];
        int hi = last[t];
        while (lo < hi)
        {
            final int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= v)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static int search128(final long[] startsHi, final long[] startsLo, final int[] first, final int[] last,
        final long vh, final long vl)
    {
        final int t = (int) (vh >>> 48);
        int lo = first[t];
        int hi = last[t];
        while (lo < hi)
        {
            final int mid = (lo + hi + 1) >>> 1;
            if (CompiledMatch.compare128(startsHi[mid], startsLo[mid], vh, vl) <= 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** First rule {@code >= from} set in every dimension's vector (offsets at {@code scratch[base...]}), -1 if none. */
    private int scan(final int[] scratch, final int base, final int from)
    {
        if (from >= size)
        {
            return -1;
        }
        final long[] rows = this.rows;
        final long[] aggs = this.aggs;
        final int dims = this.dims;
        final int fromWord = from >>> 6;
        final int aggWords = this.aggWords;
        for (int a = fromWord >>> 6; a < aggWords; a++)
        {
            long agg = a == fromWord >>> 6 ? -1L << (fromWord & 63) : -1L;
            for (int d = 0; d < dims && agg != 0; d++)
            {
                agg &= aggs[scratch[base + (d << 1) + 1] + a];
            }
            if (a == aggWords - 1 && (words & 63) != 0)
            {
                agg &= (1L << (words & 63)) - 1;
            }
            while (agg != 0)
            {
                final int w = (a << 6) + Long.numberOfTrailingZeros(agg);
                long bits = w == fromWord ? -1L << (from & 63) : -1L;
                for (int d = 0; d < dims && bits != 0; d++)
                {
                    bits &= rows[scratch[base + (d << 1)] + w];
                }
                if (w == words - 1 && (size & 63) != 0)
                {
                    bits &= (1L << (size & 63)) - 1;
                }
                if (bits != 0)
                {
                    return (w << 6) + Long.numberOfTrailingZeros(bits);
                }
                agg &= agg - 1;
            }
        }
        return -1;
    }

    /** Whether expression {@code expr} (index into the rule's exprs, a Match) of rule {@code rule} is decided by {@link #next}. */
    public boolean decided(final int rule, final int expr)
    {
        return linear.decided(rule, expr);
    }

    /** Tests one undecided Match ({@code rule}, {@code expr}) against packet {@code p}: no allocation. */
    public boolean test(final int rule, final int expr, final RuleKeys keys, final int p)
    {
        return linear.test(rule, expr, keys, p);
    }

    /** Deduplicated rows (rule vectors) and their aggregates, shared by all dimensions. */
    private static final class RowStore
    {
        final int words;
        final int aggWords;
        long[] rows = new long[1024];
        long[] aggs = new long[64];
        int rowCount;

        RowStore(final int words, final int aggWords)
        {
            this.words = words;
            this.aggWords = aggWords;
        }

        /** Appends {@code vector} as a new row; returns its index counted from the store's start. */
        int add(final long[] vector)
        {
            final int r = rowCount++;
            if ((long) rowCount * words > Integer.MAX_VALUE - 8)
            {
                throw new IllegalStateException("classifier too large");
            }
            while (rows.length < rowCount * words)
            {
                rows = Arrays.copyOf(rows, rows.length * 2);
            }
            while (aggs.length < rowCount * aggWords)
            {
                aggs = Arrays.copyOf(aggs, aggs.length * 2);
            }
            System.arraycopy(vector, 0, rows, r * words, words);
            for (int w = 0; w < words; w++)
            {
                if (vector[w] != 0)
                {
                    aggs[r * aggWords + (w >>> 6)] |= 1L << (w & 63);
                }
            }
            return r;
        }

        long[] rows()
        {
            return Arrays.copyOf(rows, Math.max(1, rowCount * words));
        }

        long[] aggs()
        {
            return Arrays.copyOf(aggs, Math.max(1, rowCount * aggWords));
        }
    }

    /** A long[] compared by content (row deduplication). */
    private record Vector(long[] bits)
    {
        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Vector v && Arrays.equals(bits, v.bits);
        }

        @Override
        public int hashCode()
        {
            return Arrays.hashCode(bits);
        }
    }

    /** One dimension while it is built. */
    private static final class Dimension
    {
        int key;
        long mask;
        long domainMax;
        int kind;
        int absentRow;
        int[] rowOf;
        long[] starts;
        long[] startsHi;
        int[] first;
        int[] last;
        int rowBase;
        int aggBase;

        /**
         * Builds dimension of {@code proto}'s key and mask from {@code members} ({rule, index into all}) by a sweep
         * over its elementary intervals: a rule admits a class when all its matches on the dimension hold there.
         */
        static Dimension build(final CompiledMatch proto, final List<int[]> members, final List<CompiledMatch> all,
            final int n, final int words, final RowStore store)
        {
            final Dimension x = new Dimension();
            x.key = proto.key;
            x.mask = proto.mask;
            x.domainMax = proto.domainMax;
            final boolean wide = proto.wide;
            x.kind = wide ? SEARCH128 : proto.domainMax <= DIRECT_MAX ? DIRECT : SEARCH32;
            final BigInteger max = wide ? BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE) : BigInteger.valueOf(proto.domainMax);

            // class starts: 0, every interval's lo and hi + 1
            final TreeSet<BigInteger> bounds = new TreeSet<>();
            bounds.add(BigInteger.ZERO);
            final int[] need = new int[n];
            for (final int[] m : members)
            {
                final CompiledMatch cm = all.get(m[1]);
                need[m[0]]++;
                for (int i = 0; i < cm.lo.length; i++)
                {
                    bounds.add(big(cm.lo2[i], cm.lo[i], wide));
                    final BigInteger end = big(cm.hi2[i], cm.hi[i], wide).add(BigInteger.ONE);
                    if (end.compareTo(max) <= 0)
                    {
                        bounds.add(end);
                    }
                }
            }
            final BigInteger[] starts = bounds.toArray(new BigInteger[0]);
            final int classes = starts.length;
            // events per class: rules whose interval starts / ends there (indices into starts)
            final List<List<Integer>> open = new ArrayList<>(classes + 1);
            final List<List<Integer>> close = new ArrayList<>(classes + 1);
            for (int c = 0; c <= classes; c++)
            {
                open.add(null);
                close.add(null);
            }
            for (final int[] m : members)
            {
                final CompiledMatch cm = all.get(m[1]);
                for (int i = 0; i < cm.lo.length; i++)
                {
                    final int s = Arrays.binarySearch(starts, big(cm.lo2[i], cm.lo[i], wide));
                    final BigInteger end = big(cm.hi2[i], cm.hi[i], wide).add(BigInteger.ONE);
                    final int e = end.compareTo(max) <= 0 ? Arrays.binarySearch(starts, end) : classes;
                    add(open, s, m[0]);
                    add(close, e, m[0]);
                }
            }

            final Map<Vector, Integer> seen = new HashMap<>();
            final long[] vector = new long[words];
            for (int r = 0; r < n; r++)
            {
                if (need[r] == 0)
                {
                    vector[r >>> 6] |= 1L << r;
                }
            }
            final int firstRow = store.rowCount;
            x.rowBase = 0;
            x.aggBase = 0;
            x.absentRow = intern(vector, seen, store) - firstRow;
            final int[] count = new int[n];
            final int[] rowOfClass = new int[classes];
            for (int c = 0; c < classes; c++)
            {
                final List<Integer> closing = close.get(c);
                if (closing != null)
                {
                    for (final int r : closing)
                    {
                        if (count[r]-- == need[r])
                        {
                            vector[r >>> 6] &= ~(1L << r);
                        }
                    }
                }
                final List<Integer> opening = open.get(c);
                if (opening != null)
                {
                    for (final int r : opening)
                    {
                        if (++count[r] == need[r])
                        {
                            vector[r >>> 6] |= 1L << r;
                        }
                    }
                }
                rowOfClass[c] = intern(vector, seen, store) - firstRow;
            }
            x.rowBase = firstRow * store.words;
            x.aggBase = firstRow * store.aggWords;

            if (x.kind == DIRECT)
            {
                x.rowOf = new int[(int) x.domainMax + 1];
                for (int c = 0; c < classes; c++)
                {
                    final int from = starts[c].intValue();
                    final int to = c + 1 < classes ? starts[c + 1].intValue() : (int) x.domainMax + 1;
                    Arrays.fill(x.rowOf, from, to, rowOfClass[c]);
                }
                return x;
            }
            x.rowOf = rowOfClass;
            x.starts = new long[classes];
            x.startsHi = wide ? new long[classes] : null;
            for (int c = 0; c < classes; c++)
            {
                x.starts[c] = starts[c].longValue();
                if (wide)
                {
                    x.startsHi[c] = starts[c].shiftRight(64).longValue();
                }
            }
            // first level: the classes of the first and last value with each top 16 bits
            x.first = new int[65536];
            x.last = new int[65536];
            final int shift = wide ? 112 : 16;
            final BigInteger low = BigInteger.ONE.shiftLeft(shift).subtract(BigInteger.ONE);
            int c = 0;
            for (int t = 0; t < 65536; t++)
            {
                final BigInteger begin = BigInteger.valueOf(t).shiftLeft(shift);
                if (begin.compareTo(max) > 0)
                {
                    x.first[t] = classes - 1;
                    x.last[t] = classes - 1;
                    continue;
                }
                while (c + 1 < classes && starts[c + 1].compareTo(begin) <= 0)
                {
                    c++;
                }
                x.first[t] = c;
                int e = c;
                final BigInteger end = begin.or(low);
                while (e + 1 < classes && starts[e + 1].compareTo(end) <= 0)
                {
                    e++;
                }
                x.last[t] = e;
            }
            return x;
        }

        private static void add(final List<List<Integer>> events, final int at, final int rule)
        {
            List<Integer> l = events.get(at);
            if (l == null)
            {
                l = new ArrayList<>(2);
                events.set(at, l);
            }
            l.add(rule);
        }

        private static int intern(final long[] vector, final Map<Vector, Integer> seen, final RowStore store)
        {
            final Vector v = new Vector(vector.clone());
            final Integer row = seen.get(v);
            if (row != null)
            {
                return row;
            }
            final int r = store.add(v.bits);
            seen.put(v, r);
            return r;
        }

        private static BigInteger big(final long hi, final long lo, final boolean wide)
        {
            final BigInteger low = new BigInteger(Long.toUnsignedString(lo));
            return wide ? new BigInteger(Long.toUnsignedString(hi)).shiftLeft(64).or(low) : low;
        }
    }
}
