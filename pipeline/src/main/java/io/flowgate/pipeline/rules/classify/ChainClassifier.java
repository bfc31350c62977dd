package io.flowgate.pipeline.rules.classify;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
    /** At most this many classes: a linear search of the class starts (they fit a cache line or two). */
    private static final int SMALL = 0;
    /** A domain of at most {@link #DIRECT_MAX} + 1 values: a table of row offsets indexed by the value. */
    private static final int DIRECT = 1;
    /** 32-bit values: the class of the value's top 16 bits narrows a binary search of the class starts. */
    private static final int SEARCH32 = 2;
    /** 128-bit values: the same on the top 16 bits of the high word. */
    private static final int SEARCH128 = 3;
    private static final int SMALL_CLASSES = 16;
    /** A 16-bit block of a SEARCH32 dimension with more classes than this gets a second level. */
    private static final int LEVEL2_MIN = 4;
    private static final long DIRECT_MAX = 0xFFFF;

    private final LinearClassifier linear;
    private final int size;
    /** Words (64 rules) and aggregate words (64 words) of a vector. */
    private final int words;
    private final int aggWords;
    /**
     * Every dimension's deduplicated rows, one after another, each its aggregate then its vector:
     * <pre>
     *   row at offset o:  rows[o .. o+aggWords-1]           aggregate: bit w set when word w is not zero
     *                     rows[o+aggWords .. +words-1]      bit r set when rule r admits the class
     * </pre>
     */
    private final long[] rows;
    /**
     * Offset of a row that admits every rule: the dimensions a chain lacks (it has fewer than four) scan as this row,
     * so {@link #scan} has one loop with four fixed row offsets.
     */
    private final int allRow;

    // Per dimension d (structure of arrays: no object per dimension on the path).
    private final int dims;
    private final int[] dimKey;
    private final long[] dimMask;
    private final long[] dimMax;
    private final int[] dimKind;
    /** The packet's family and transport protocol the field needs (0 / -1: any), and whether negative is absent. */
    private final int[] dimFamily;
    private final int[] dimProtocol;
    private final boolean[] dimSigned;
    /** Offset of the row of "field absent" (or out of its domain). */
    private final int[] dimAbsent;
    /** DIRECT: row offset per value; otherwise row offset per class. */
    private final int[][] dimRow;
    /** Class starts (unsigned); for 128-bit values their low words. */
    private final long[][] dimStarts;
    /** 128-bit values: the high words of the class starts. */
    private final long[][] dimStartsHi;
    /** SEARCH*: {@code level1[t]} is the class of the first value whose top 16 bits are t; {@code level1[65536]} the last class. */
    private final int[][] dimLevel1;
    /** SEARCH32: for blocks with many classes (level1 entry {@code ~i}), the classes at each 256-value step from i. */
    private final int[][] dimLevel2;
    /** SEARCH32: halvings that reduce the longest range of classes a lookup can be left with to one. */
    private final int[] dimSteps;

    private ChainClassifier(final LinearClassifier linear, final int size, final List<Dimension> ds, final long[] rows,
        final int allRow)
    {
        this.allRow = allRow;
        this.linear = linear;
        this.size = size;
        this.words = (size + 63) >>> 6;
        this.aggWords = (words + 63) >>> 6;
        this.rows = rows;
        this.dims = ds.size();
        dimKey = new int[dims];
        dimMask = new long[dims];
        dimMax = new long[dims];
        dimKind = new int[dims];
        dimFamily = new int[dims];
        dimProtocol = new int[dims];
        dimSigned = new boolean[dims];
        dimAbsent = new int[dims];
        dimRow = new int[dims][];
        dimStarts = new long[dims][];
        dimStartsHi = new long[dims][];
        dimLevel1 = new int[dims][];
        dimLevel2 = new int[dims][];
        dimSteps = new int[dims];
        for (int d = 0; d < dims; d++)
        {
            final Dimension x = ds.get(d);
            dimKey[d] = x.key;
            dimMask[d] = x.mask;
            dimMax[d] = x.domainMax;
            dimKind[d] = x.kind;
            dimFamily[d] = CompiledMatch.requiredFamily(x.key);
            dimProtocol[d] = CompiledMatch.requiredProtocol(x.key);
            dimSigned[d] = CompiledMatch.negativeIsAbsent(x.key);
            dimAbsent[d] = x.absent;
            dimRow[d] = x.row;
            dimStarts[d] = x.starts;
            dimStartsHi[d] = x.startsHi;
            dimLevel1[d] = x.level1;
            dimLevel2[d] = x.level2;
            dimSteps[d] = x.steps;
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
                    final CompiledMatch plain = new CompiledMatch(m, portNames);
                    final CompiledMatch composite = plain.composite();
                    final CompiledMatch cm = composite != null ? composite : plain;
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
        // the dimensions whose vectors are sparsest first: the word loop stops at the first zero
        ds.sort(Comparator.comparingDouble((Dimension x) -> x.density));
        final long[] all1 = new long[words];
        for (int r = 0; r < n; r++)
        {
            all1[r >>> 6] |= 1L << r;
        }
        final int allRow = store.add(all1);
        return new ChainClassifier(linear, n, ds, store.rows(), allRow);
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
            scratch[d] = locate(d, keys, p);
        }
        return scan(scratch, 0, Math.max(0, from), -1L);
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
        final int dims = this.dims;
        for (int d = 0; d < dims; d++)
        {
            locateBurst(d, keys, packets, count, scratch);
        }
        // touch every packet's rows before any is scanned (their cache misses overlap): the first aggregate words
        final long[] rows = this.rows;
        final long[] aggregate = keys.classifierAggregate;
        for (int k = 0, base = 0; k < count; k++, base += dims)
        {
            long agg = -1L;
            for (int d = 0; d < dims; d++)
            {
                agg &= rows[scratch[base + d]];
            }
            aggregate[k] = agg;
        }
        for (int k = 0; k < count; k++)
        {
            result[packets[k]] = scan(scratch, k * dims, 0, aggregate[k]);
        }
    }

    private int[] scratch(final RuleKeys keys, final int packets)
    {
        final int need = Math.max(1, packets) * dims;
        if (keys.classifierScratch.length < need)
        {
            // once per worker for the largest ruleset it meets
            keys.classifierScratch = new int[Math.max(need, keys.capacity * dims)];
        }
        return keys.classifierScratch;
    }

    /**
     * Writes {@code scratch[k * dims + d]}, the row offset of packet {@code packets[k]}'s class in dimension {@code d},
     * for the whole burst: everything that depends on the dimension only is read once, and the burst's table loads
     * are independent of each other.
     */
    private void locateBurst(final int d, final RuleKeys keys, final int[] packets, final int count, final int[] scratch)
    {
        final int key = dimKey[d];
        if (key == CompiledMatch.KEY_SADDR6 || key == CompiledMatch.KEY_DADDR6)
        {
            for (int k = 0, at = d; k < count; k++, at += dims)
            {
                scratch[at] = locate(d, keys, packets[k]);
            }
            return;
        }
        if (key == CompiledMatch.KEY_PROTO_DPORT || key == CompiledMatch.KEY_PROTO_SPORT)
        {
            locateComposite(d, keys, packets, count, scratch, key == CompiledMatch.KEY_PROTO_DPORT ? keys.dport : keys.sport);
            return;
        }
        final int[] src = CompiledMatch.source(key, keys);
        final int[] nfproto = keys.nfproto;
        final int[] l4proto = keys.l4proto;
        // a packet lacks the field when any of these is not zero (branch-free: the protocol mix of a burst is random)
        final int family = dimFamily[d];
        final int familyMask = family == 0 ? 0 : -1;
        final int protocol = dimProtocol[d];
        final int protocolMask = protocol < 0 ? 0 : -1;
        final int signMask = dimSigned[d] ? Integer.MIN_VALUE : 0;
        final long valueMask = (dimSigned[d] ? 0x7FFFFFFFL : 0xFFFFFFFFL) & dimMask[d];
        final long max = dimMax[d];
        final int absent = dimAbsent[d];
        final int kind = dimKind[d];
        final int[] row = dimRow[d];
        final long[] starts = dimStarts[d];
        final int[] level1 = dimLevel1[d];
        final int[] level2 = dimLevel2[d];
        final int steps = dimSteps[d];
        // one loop per kind: no test of the kind per packet
        if (kind == DIRECT)
        {
            for (int k = 0, at = d; k < count; k++, at += dims)
            {
                final int p = packets[k];
                final int raw = src[p];
                final long value = raw & valueMask;
                final int miss = ((nfproto[p] ^ family) & familyMask) | ((l4proto[p] ^ protocol) & protocolMask)
                    | (raw & signMask) | (int) ((max - value) >>> 63);
                final int found = row[(int) (miss == 0 ? value : 0)];
                scratch[at] = miss == 0 ? found : absent;
            }
        }
        else if (kind == SMALL)
        {
            for (int k = 0, at = d; k < count; k++, at += dims)
            {
                final int p = packets[k];
                final int raw = src[p];
                final long value = raw & valueMask;
                final int miss = ((nfproto[p] ^ family) & familyMask) | ((l4proto[p] ^ protocol) & protocolMask)
                    | (raw & signMask) | (int) ((max - value) >>> 63);
                final int found = row[smallClass(starts, value)];
                scratch[at] = miss == 0 ? found : absent;
            }
        }
        else
        {
            for (int k = 0, at = d; k < count; k++, at += dims)
            {
                final int p = packets[k];
                final int raw = src[p];
                final long value = raw & valueMask;
                final int miss = ((nfproto[p] ^ family) & familyMask) | ((l4proto[p] ^ protocol) & protocolMask)
                    | (raw & signMask) | (int) ((max - value) >>> 63);
                final int found = row[searchClass(starts, level1, level2, steps, miss == 0 ? value : 0)];
                scratch[at] = miss == 0 ? found : absent;
            }
        }
    }

    /** {@link #locateBurst} for a composite (l4proto, port) dimension. */
    private void locateComposite(final int d, final RuleKeys keys, final int[] packets, final int count,
        final int[] scratch, final int[] ports)
    {
        final int[] l4proto = keys.l4proto;
        final int absent = dimAbsent[d];
        final boolean small = dimKind[d] == SMALL;
        final int[] row = dimRow[d];
        final long[] starts = dimStarts[d];
        final int[] level1 = dimLevel1[d];
        final int[] level2 = dimLevel2[d];
        final int steps = dimSteps[d];
        for (int k = 0, at = d; k < count; k++, at += dims)
        {
            final int p = packets[k];
            final int proto = l4proto[p];
            final int port = ports[p];
            final int miss = (proto | (255 - proto)) & Integer.MIN_VALUE;
            final boolean hasPorts = (proto == 6 | proto == 17) & port >= 0 & port <= 0xFFFF;
            final long v = miss == 0 ? ((long) proto << CompiledMatch.PORT_BITS) | (hasPorts ? port + 1 : 0) : 0;
            final int found = row[small ? smallClass(starts, v) : searchClass(starts, level1, level2, steps, v)];
            scratch[at] = miss == 0 ? found : absent;
        }
    }

    /** The class of {@code v} among at most {@link #SMALL_CLASSES}: the last start {@code <= v}. */
    private static int smallClass(final long[] starts, final long v)
    {
        // starts is padded with Long.MAX_VALUE to a power of two: a fixed number of halvings, no branch on v
        int c = 0;
        for (int half = starts.length >>> 1; half > 0; half >>>= 1)
        {
            c = starts[c + half] <= v ? c + half : c;
        }
        return c;
    }

    /**
     * The class of {@code v} (below 2^32): the last start {@code <= v}. The top 16 bits give the range of classes
     * the value can be in ({@code level1}); a block that holds more than {@link #LEVEL2_MIN} classes is split again
     * on the next 8 bits ({@code level2}, 257 entries per such block); a branch-free binary search ends it.
     */
    private static int searchClass(final long[] starts, final int[] level1, final int[] level2, final int steps, final long v)
    {
        final int t = (int) (v >>> 16);
        int lo = level1[t];
        int hi;
        if (lo < 0)
        {
            final int at = ~lo + (int) ((v >>> 8) & 0xFF);
            lo = level2[at];
            hi = level2[at + 1];
        }
        else
        {
            final int next = level1[t + 1];
            hi = next < 0 ? level2[~next] : next;
        }
        // a fixed number of halvings per dimension (enough for its longest range): the loop exit is predicted
        int len = hi - lo + 1;
        for (int i = 0; i < steps; i++)
        {
            final int half = len >>> 1;
            lo = starts[lo + half] <= v ? lo + half : lo;
            len -= half;
        }
        return lo;
    }

    /** The offset of the row of packet {@code p}'s class in dimension {@code d}. */
    private int locate(final int d, final RuleKeys keys, final int p)
    {
        final int key = dimKey[d];
        final int kind = dimKind[d];
        if (key == CompiledMatch.KEY_SADDR6 || key == CompiledMatch.KEY_DADDR6)
        {
            if (keys.nfproto[p] != RuleKeys.NFPROTO_IPV6)
            {
                return dimAbsent[d];
            }
            final boolean src = key == CompiledMatch.KEY_SADDR6;
            final long hi = src ? keys.saddr6Hi[p] : keys.daddr6Hi[p];
            final long lo = src ? keys.saddr6Lo[p] : keys.daddr6Lo[p];
            final long[] startsHi = dimStartsHi[d];
            final long[] starts = dimStarts[d];
            int c;
            if (kind == SMALL)
            {
                c = 0;
                while (c + 1 < starts.length && CompiledMatch.compare128(startsHi[c + 1], starts[c + 1], hi, lo) <= 0)
                {
                    c++;
                }
            }
            else
            {
                final int[] level1 = dimLevel1[d];
                final int t = (int) (hi >>> 48);
                c = level1[t];
                int top = level1[t + 1];
                while (c < top)
                {
                    final int mid = (c + top + 1) >>> 1;
                    if (CompiledMatch.compare128(startsHi[mid], starts[mid], hi, lo) <= 0)
                    {
                        c = mid;
                    }
                    else
                    {
                        top = mid - 1;
                    }
                }
            }
            return dimRow[d][c];
        }
        long v = key == CompiledMatch.KEY_PROTO_DPORT || key == CompiledMatch.KEY_PROTO_SPORT
            ? CompiledMatch.composite(key, keys, p) : CompiledMatch.valueOrAbsent(key, keys, p);
        if (v < 0)
        {
            return dimAbsent[d];
        }
        v &= dimMask[d];
        if (v > dimMax[d])
        {
            return dimAbsent[d];
        }
        final int c = kind == DIRECT ? (int) v : kind == SMALL ? smallClass(dimStarts[d], v)
            : searchClass(dimStarts[d], dimLevel1[d], dimLevel2[d], dimSteps[d], v);
        return dimRow[d][c];
    }

    /**
     * First rule {@code >= from} set in every dimension's row (offsets at {@code scratch[base...]}), -1 if none;
     * {@code firstAggregate} is already ANDed into aggregate word 0 (-1 when not computed).
     */
    private int scan(final int[] scratch, final int base, final int from, final long firstAggregate)
    {
        if (from >= size)
        {
            return -1;
        }
        return dims <= 4 ? scan4(scratch, base, from, firstAggregate) : scanAny(scratch, base, from, firstAggregate);
    }

    /**
     * {@link #scan} for at most four dimensions (a 5-tuple chain has four: two addresses, two (l4proto, port)): the
     * row offsets are held in locals (a missing dimension is {@link #allRow}), so a word costs four loads and the
     * loop has no inner loop over the dimensions. Most packets of a large chain walk many words (the aggregates of
     * wide rules are dense), which makes this loop the scan's cost.
     */
    private int scan4(final int[] scratch, final int base, final int from, final long firstAggregate)
    {
        final long[] rows = this.rows;
        final int dims = this.dims;
        final int aggWords = this.aggWords;
        final int all = allRow;
        final int o0 = dims > 0 ? scratch[base] : all;
        final int o1 = dims > 1 ? scratch[base + 1] : all;
        final int o2 = dims > 2 ? scratch[base + 2] : all;
        final int o3 = dims > 3 ? scratch[base + 3] : all;
        final int v0 = o0 + aggWords;
        final int v1 = o1 + aggWords;
        final int v2 = o2 + aggWords;
        final int v3 = o3 + aggWords;
        final int fromWord = from >>> 6;
        for (int a = fromWord >>> 6; a < aggWords; a++)
        {
            long agg = (a == fromWord >>> 6 ? -1L << (fromWord & 63) : -1L) & (a == 0 ? firstAggregate : -1L)
                & rows[o0 + a] & rows[o1 + a] & rows[o2 + a] & rows[o3 + a];
            while (agg != 0)
            {
                final int w = (a << 6) + Long.numberOfTrailingZeros(agg);
                final long bits = (w == fromWord ? -1L << (from & 63) : -1L)
                    & rows[v0 + w] & rows[v1 + w] & rows[v2 + w] & rows[v3 + w];
                if (bits != 0)
                {
                    return (w << 6) + Long.numberOfTrailingZeros(bits);
                }
                agg &= agg - 1;
            }
        }
        return -1;
    }

    /** {@link #scan} for any number of dimensions. */
    private int scanAny(final int[] scratch, final int base, final int from, final long firstAggregate)
    {
        final long[] rows = this.rows;
        final int dims = this.dims;
        final int aggWords = this.aggWords;
        final int fromWord = from >>> 6;
        for (int a = fromWord >>> 6; a < aggWords; a++)
        {
            long agg = (a == fromWord >>> 6 ? -1L << (fromWord & 63) : -1L) & (a == 0 ? firstAggregate : -1L);
            for (int d = 0; d < dims; d++)
            {
                agg &= rows[scratch[base + d] + a];
            }
            while (agg != 0)
            {
                final int w = (a << 6) + Long.numberOfTrailingZeros(agg);
                long bits = w == fromWord ? -1L << (from & 63) : -1L;
                for (int d = 0; d < dims; d++)
                {
                    bits &= rows[scratch[base + d] + aggWords + w];
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

    /** What was built, for measurements and the docs: dimensions, their classes, rows and memory. */
    public String describe()
    {
        final StringBuilder b = new StringBuilder();
        b.append("rules=").append(size).append(" dims=").append(dims).append(" rowMiB=")
            .append(String.format("%.1f", rows.length * 8.0 / (1 << 20)));
        for (int d = 0; d < dims; d++)
        {
            b.append(" [key=").append(dimKey[d]).append(" kind=").append(dimKind[d]).append(" table=")
                .append(dimRow[d].length);
            if (dimLevel2[d] != null && dimLevel2[d].length > 0)
            {
                b.append(" level2=").append(dimLevel2[d].length / 257);
            }
            b.append(']');
        }
        return b.toString();
    }

    /** Deduplicated rows (aggregate and rule vector) of all dimensions, in one array. */
    private static final class RowStore
    {
        final int words;
        final int aggWords;
        final int stride;
        long[] rows = new long[1024];
        int used;

        RowStore(final int words, final int aggWords)
        {
            this.words = words;
            this.aggWords = aggWords;
            this.stride = words + aggWords;
        }

        /** Appends {@code vector} as a new row; returns its offset. */
        int add(final long[] vector)
        {
            final int at = used;
            if ((long) at + stride > Integer.MAX_VALUE - 8)
            {
                throw new IllegalStateException("classifier too large");
            }
            used += stride;
            while (rows.length < used)
            {
                rows = Arrays.copyOf(rows, rows.length * 2);
            }
            System.arraycopy(vector, 0, rows, at + aggWords, words);
            for (int w = 0; w < words; w++)
            {
                if (vector[w] != 0)
                {
                    rows[at + (w >>> 6)] |= 1L << (w & 63);
                }
            }
            return at;
        }

        long[] rows()
        {
            return Arrays.copyOf(rows, Math.max(1, used));
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
        int absent;
        int[] row;
        long[] starts;
        long[] startsHi;
        int[] level1;
        int[] level2;
        int steps;
        /** Mean share of rules a class admits (the order of the dimensions in the word loop). */
        double density;

        /**
         * Builds the dimension of {@code proto}'s key and mask from {@code members} ({rule, index into all}) by a
         * sweep over its elementary intervals: a rule admits a class when all its matches on the dimension hold
         * there (a count per rule reaches the number of its matches), and every rule without a match on it admits
         * every class, "absent" included.
         */
        static Dimension build(final CompiledMatch proto, final List<int[]> members, final List<CompiledMatch> all,
            final int n, final int words, final RowStore store)
        {
            final Dimension x = new Dimension();
            x.key = proto.key;
            x.mask = proto.mask;
            x.domainMax = proto.domainMax;
            final boolean wide = proto.wide;
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
            x.kind = classes <= SMALL_CLASSES ? SMALL : wide ? SEARCH128 : proto.domainMax <= DIRECT_MAX ? DIRECT : SEARCH32;

            // events per class: rules whose interval starts / ends there
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
            x.absent = intern(vector, seen, store);
            final int[] count = new int[n];
            final int[] rowOfClass = new int[classes];
            long admitted = 0;
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
                rowOfClass[c] = intern(vector, seen, store);
                for (final long w : vector)
                {
                    admitted += Long.bitCount(w);
                }
            }
            x.density = (double) admitted / ((double) classes * Math.max(1, n));

            if (x.kind == DIRECT)
            {
                x.row = new int[(int) x.domainMax + 1];
                for (int c = 0; c < classes; c++)
                {
                    final int from = starts[c].intValue();
                    final int to = c + 1 < classes ? starts[c + 1].intValue() : (int) x.domainMax + 1;
                    Arrays.fill(x.row, from, to, rowOfClass[c]);
                }
                return x;
            }
            x.row = rowOfClass;
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
            if (x.kind == SMALL)
            {
                if (!wide)
                {
                    final int padded = Integer.highestOneBit(Math.max(1, classes - 1)) << 1;
                    x.starts = Arrays.copyOf(x.starts, Math.max(1, classes == 1 ? 1 : padded));
                    Arrays.fill(x.starts, classes, x.starts.length, Long.MAX_VALUE);
                }
                return x;
            }
            // first level: the class of the first value of each top-16-bit block, and the last class at 65536; a
            // value of block t lies in a class between level1[t] and level1[t + 1]
            x.level1 = new int[65537];
            final int shift = wide ? 112 : 16;
            int c = 0;
            for (int t = 0; t < 65536; t++)
            {
                final BigInteger begin = BigInteger.valueOf(t).shiftLeft(shift);
                while (c + 1 < classes && starts[c + 1].compareTo(begin) <= 0)
                {
                    c++;
                }
                x.level1[t] = c;
            }
            x.level1[65536] = classes - 1;
            if (!wide)
            {
                // split the crowded blocks on their next 8 bits; level1 then holds ~(index of the block's level2)
                final List<Integer> l2 = new ArrayList<>();
                final int[] plain = x.level1.clone();
                for (int t = 0; t < 65536; t++)
                {
                    if (plain[t + 1] - plain[t] > LEVEL2_MIN)
                    {
                        x.level1[t] = ~l2.size();
                        int cc = plain[t];
                        for (int j = 0; j <= 256; j++)
                        {
                            final long begin = j == 256 ? ((long) t << 16) + 0xFFFF : ((long) t << 16) + ((long) j << 8);
                            while (cc + 1 < classes && x.starts[cc + 1] <= begin)
                            {
                                cc++;
                            }
                            // entry 256: the class of the block's last value
                            l2.add(cc);
                        }
                    }
                }
                x.level2 = new int[l2.size()];
                for (int i = 0; i < x.level2.length; i++)
                {
                    x.level2[i] = l2.get(i);
                }
                // the longest range a lookup can be left with: a plain block, or a 256-value step of a split one
                int longest = 1;
                for (int t = 0; t < 65536; t++)
                {
                    if (x.level1[t] >= 0)
                    {
                        final int next = x.level1[t + 1] < 0 ? x.level2[~x.level1[t + 1]] : x.level1[t + 1];
                        longest = Math.max(longest, next - x.level1[t] + 1);
                    }
                }
                for (int i = 0; i + 1 < x.level2.length; i++)
                {
                    if (i % 257 != 256)
                    {
                        longest = Math.max(longest, x.level2[i + 1] - x.level2[i] + 1);
                    }
                }
                x.steps = 32 - Integer.numberOfLeadingZeros(longest - 1);
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
