package io.flowgate.pipeline.rules.classify;

import java.util.List;

import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * The reference classifier: {@link ChainClassifier}'s semantics by a linear scan of every rule's decided matches.
 * Cost grows with the chain; it exists to check the real classifier against (and to read the semantics from).
 * <p>
 * Decided: every {@link Match} written before the rule's first statement or limit ({@link #decidedExprs}). Limits
 * are never decided (they have state).
 * <p>
 * Thread-safety: immutable after {@link #compile}.
 */
public final class LinearClassifier
{
    /** Per rule, per expression: the compiled match, null for anything else. */
    private final CompiledMatch[][] matches;
    /** Per rule, per expression: whether {@link #next} decides it. */
    private final boolean[][] decided;

    private LinearClassifier(final CompiledMatch[][] matches, final boolean[][] decided)
    {
        this.matches = matches;
        this.decided = decided;
    }

    public static LinearClassifier compile(final List<Rule> rules, final List<String> portNames) throws RulesetException
    {
        final int n = rules.size();
        final CompiledMatch[][] matches = new CompiledMatch[n][];
        final boolean[][] decided = new boolean[n][];
        for (int r = 0; r < n; r++)
        {
            final List<Expr> exprs = rules.get(r).exprs();
            matches[r] = new CompiledMatch[exprs.size()];
            decided[r] = decidedExprs(exprs);
            for (int e = 0; e < exprs.size(); e++)
            {
                if (exprs.get(e) instanceof Match m)
                {
                    matches[r][e] = new CompiledMatch(m, portNames);
                }
            }
        }
        return new LinearClassifier(matches, decided);
    }

    /**
     * Which of a rule's expressions a classifier decides (shared by both classifiers: the same semantics): the
     * matches written before the rule's first statement or limit. nft evaluates left to right, so whatever comes
     * after a statement runs only for packets that reached it: {@code counter tcp dport 22 accept} counts every
     * packet the rule sees, {@code limit rate 5/second tcp dport 22 accept} takes a token for each of them, and a
     * match on a mark after {@code meta mark set} sees the new value. Those later matches are left to the runtime,
     * which tests them in order.
     */
    static boolean[] decidedExprs(final List<Expr> exprs)
    {
        final boolean[] out = new boolean[exprs.size()];
        for (int e = 0; e < exprs.size(); e++)
        {
            if (!(exprs.get(e) instanceof Match))
            {
                break;
            }
            out[e] = true;
        }
        return out;
    }

    public int size()
    {
        return matches.length;
    }

    /** Index of the first rule {@code >= from} whose decided matches all hold for packet {@code p}; -1 if none. */
    public int next(final RuleKeys keys, final int p, final int from)
    {
        for (int r = Math.max(0, from); r < matches.length; r++)
        {
            if (holds(r, keys, p))
            {
                return r;
            }
        }
        return -1;
    }

    private boolean holds(final int r, final RuleKeys keys, final int p)
    {
        final CompiledMatch[] ms = matches[r];
        final boolean[] ds = decided[r];
        for (int e = 0; e < ms.length; e++)
        {
            if (ds[e] && !ms[e].holds(keys, p))
            {
                return false;
            }
        }
        return true;
    }

    public void classify(final RuleKeys keys, final int[] packets, final int count, final int[] result)
    {
        for (int k = 0; k < count; k++)
        {
            result[packets[k]] = next(keys, packets[k], 0);
        }
    }

    public boolean decided(final int rule, final int expr)
    {
        return decided[rule][expr];
    }

    /** Tests one Match ({@code rule}, {@code expr}) against packet {@code p}: no allocation. */
    public boolean test(final int rule, final int expr, final RuleKeys keys, final int p)
    {
        return matches[rule][expr].holds(keys, p);
    }
}
