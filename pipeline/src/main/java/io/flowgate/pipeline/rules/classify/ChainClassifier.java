package io.flowgate.pipeline.rules.classify;

import java.util.List;

import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.RulesetException;

/**
 * CONTRACT (implemented in the classifier work, docs/rules.md): one chain's rules compiled into a multi-field
 * classifier. {@link #next} finds, for one packet, the first rule at or after a position whose classified matches
 * all hold, with the cost nearly independent of the number of rules; the runtime then evaluates that rule's
 * expressions in order, testing with {@link #test} the matches the classifier left undecided ({@link #decided}),
 * and continues with {@code next(keys, p, rule + 1)} when the rule does not end the chain.
 * <p>
 * Thread-safety: immutable after {@link #compile}; read by every worker at once.
 */
public final class ChainClassifier
{
    private final LinearClassifier linear;

    private ChainClassifier(final LinearClassifier linear)
    {
        this.linear = linear;
    }

    /**
     * Compiles {@code rules} (a chain's, in order). {@code portNames.get(id)} is the name of port {@code id} (null
     * for an unused id): interface matches resolve against it; an {@code iif}/{@code oif} name that is no port is
     * refused with the match's origin (nft: "Interface does not exist").
     */
    public static ChainClassifier compile(final List<Rule> rules, final List<String> portNames) throws RulesetException
    {
        return new ChainClassifier(LinearClassifier.compile(rules, portNames));
    }

    public int size()
    {
        return linear.size();
    }

    /** Index of the first rule {@code >= from} whose decided matches all hold for packet {@code p}; -1 if none. */
    public int next(final RuleKeys keys, final int p, final int from)
    {
        return linear.next(keys, p, from);
    }

    /**
     * Burst form of {@code next(keys, p, 0)}: {@code result[packets[k]]} for {@code k < count}. Lets the
     * implementation overlap the loads of different packets.
     */
    public void classify(final RuleKeys keys, final int[] packets, final int count, final int[] result)
    {
        linear.classify(keys, packets, count, result);
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
}
