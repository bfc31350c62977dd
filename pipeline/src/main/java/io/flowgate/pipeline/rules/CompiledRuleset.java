package io.flowgate.pipeline.rules;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.classify.ChainClassifier;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;

/**
 * A {@link Ruleset} compiled for the workers: every chain of every table flattened into an index, each with its
 * classifier and its rules' programs ({@link Program}), the base chains grouped by the (hook, priority) pair whose
 * hook handler runs them, the per-worker counters and token buckets. Built on the control thread by
 * {@link #compile}; immutable afterwards except the counters and buckets, each written by its own worker.
 * <p>
 * Thread-safety: published by {@link RuleEngine} with a release store, read by the workers after an acquire load.
 */
final class CompiledRuleset
{
    /** nft's jump stack ({@code NFT_JUMP_STACK_SIZE}). */
    static final int MAX_JUMP_DEPTH = 16;
    /** Longs of padding around each worker's counter array (two cache lines each side). */
    static final int PAD = 16;
    static final int FAMILY_IPV4 = 1;
    static final int FAMILY_IPV6 = 2;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    final long version;
    final Ruleset source;
    final int workers;

    // Per chain (index c over all tables' chains in file order).
    final ChainClassifier[] classifiers;
    final int[][] code;
    /** {@code ruleStart[c][r]}: where rule r's program starts in code[c]; one more entry for the end. */
    final int[][] ruleStart;
    final int[] chainFamilies;
    /** Verdict.ACCEPT or Verdict.DROP for base chains; -1 for regular chains. */
    final int[] policy;
    /** Global index of the chain's rule 0 (counters). */
    final int[] ruleBase;
    final Chain[] chains;
    final Table[] chainTables;
    final ChainType[] chainTypes;
    final Hook[] chainHooks;
    final int[] chainPriorities;
    final int ruleCount;

    /** {@code byPair[pair]}: the filter/route base chains run by the handler of that (hook, priority), in table order. */
    final int[][] byPair;
    /** NAT base chains by manip (0 destination: PREROUTING/OUTPUT, 1 source: POSTROUTING/INPUT), by priority. */
    final int[][] natChains;
    final Expr.Nat[] nats;

    final long[] limitCost;
    final long[] limitMax;
    final boolean[] limitBytes;
    final boolean[] limitOver;
    final String[] logPrefixes;
    final int[] logLevels;

    /** Per worker: PAD, then packets and bytes of each rule (2 * g, 2 * g + 1), then PAD. Written by that worker only. */
    final long[][] counters;
    /** Per worker: tokens and last refill time of each limit (2 * l, 2 * l + 1), padded likewise. */
    final long[][] buckets;
    /** Values carried from the ruleset this one replaced (or written in the file), 2 * g and 2 * g + 1. */
    final long[] carried;

    private final Map<Chain, Integer> chainIndex = new IdentityHashMap<>();

    private CompiledRuleset(final long version, final Ruleset source, final int workers, final int chainCount, final int ruleCount,
                            final int pairs, final int limits, final int logs, final int natCount)
    {
        this.version = version;
        this.source = source;
        this.workers = workers;
        this.classifiers = new ChainClassifier[chainCount];
        this.code = new int[chainCount][];
        this.ruleStart = new int[chainCount][];
        this.chainFamilies = new int[chainCount];
        this.policy = new int[chainCount];
        this.ruleBase = new int[chainCount];
        this.chains = new Chain[chainCount];
        this.chainTables = new Table[chainCount];
        this.chainTypes = new ChainType[chainCount];
        this.chainHooks = new Hook[chainCount];
        this.chainPriorities = new int[chainCount];
        this.ruleCount = ruleCount;
        this.byPair = new int[pairs][];
        this.natChains = new int[2][];
        this.nats = new Expr.Nat[natCount];
        this.limitCost = new long[limits];
        this.limitMax = new long[limits];
        this.limitBytes = new boolean[limits];
        this.limitOver = new boolean[limits];
        this.logPrefixes = new String[logs];
        this.logLevels = new int[logs];
        this.counters = new long[workers][];
        this.buckets = new long[workers][];
        for (int w = 0; w < workers; w++)
        {
            counters[w] = new long[PAD + 2 * ruleCount + PAD];
            buckets[w] = new long[PAD + 2 * limits + PAD];
        }
        this.carried = new long[2 * ruleCount];
    }

    /** The engine's pair numbering: (hook, priority) to a stable handler index. */
    interface Pairs
    {
        int pair(Hook hook, int priority);
    }

    /**
     * Compiles {@code ruleset} for {@code workers} workers; {@code portNames.get(id)} names port {@code id}, and
     * {@code portHasIpv4[id]} says whether it has an IPv4 address (masquerade). Refuses with the origin of what is wrong.
     */
    static CompiledRuleset compile(final long version, final Ruleset ruleset, final int workers, final List<String> portNames,
                                   final boolean[] portHasIpv4, final Pairs pairs, final long nowNs) throws RulesetException
    {
        int chainCount = 0;
        int ruleCount = 0;
        int limits = 0;
        int logs = 0;
        int natCount = 0;
        for (final Table t : ruleset.tables())
        {
            for (final Chain c : t.chains())
            {
                chainCount++;
                ruleCount += c.rules().size();
                for (final Rule r : c.rules())
                {
                    for (final Expr e : r.exprs())
                    {
                        switch (e)
                        {
                            case Expr.Limit l -> limits++;
                            case Expr.Log l -> logs++;
                            case Expr.Nat n -> natCount++;
                            default ->
                            {
                            }
                        }
                    }
                }
            }
        }
        // Pairs first (they may grow the engine's numbering).
        final Map<Integer, List<Integer>> chainsByPair = new HashMap<>();
        final List<int[]> natSorted = new ArrayList<>();
        {
            int c = 0;
            for (final Table t : ruleset.tables())
            {
                for (final Chain ch : t.chains())
                {
                    if (ch.isBase())
                    {
                        if (ch.base().type() == ChainType.NAT)
                        {
                            final Hook h = ch.base().hook();
                            if (h != Hook.PREROUTING && h != Hook.POSTROUTING)
                            {
                                throw new RulesetException(ch.origin(), "nat chains at hook " + h.name().toLowerCase()
                                    + " are not supported (prerouting and postrouting only)");
                            }
                            natSorted.add(new int[] {h == Hook.PREROUTING || h == Hook.OUTPUT ? 0 : 1, ch.base().priority(), c});
                        }
                        else
                        {
                            chainsByPair.computeIfAbsent(pairs.pair(ch.base().hook(), ch.base().priority()), k -> new ArrayList<>()).add(c);
                        }
                    }
                    c++;
                }
            }
        }
        int maxPair = -1;
        for (final int p : chainsByPair.keySet())
        {
            maxPair = Math.max(maxPair, p);
        }
        final CompiledRuleset out = new CompiledRuleset(version, ruleset, workers, chainCount, ruleCount, maxPair + 1, limits, logs,
            natCount);
        for (int p = 0; p <= maxPair; p++)
        {
            final List<Integer> list = chainsByPair.get(p);
            out.byPair[p] = list == null ? new int[0] : list.stream().mapToInt(Integer::intValue).toArray();
        }
        natSorted.sort((a, b) -> a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]));
        for (int m = 0; m < 2; m++)
        {
            final int manip = m;
            out.natChains[m] = natSorted.stream().filter(a -> a[0] == manip).mapToInt(a -> a[2]).toArray();
        }

        final int[] counts = new int[3]; // limits, logs, nats
        int c = 0;
        int g = 0;
        for (final Table t : ruleset.tables())
        {
            for (final Chain ch : t.chains())
            {
                out.chains[c] = ch;
                out.chainTables[c] = t;
                out.chainIndex.put(ch, c);
                out.chainFamilies[c] = (t.family().seesIpv4() ? FAMILY_IPV4 : 0) | (t.family().seesIpv6() ? FAMILY_IPV6 : 0);
                out.policy[c] = ch.isBase() ? (ch.base().policyDrop() ? io.flowgate.pipeline.hook.Verdict.DROP
                    : io.flowgate.pipeline.hook.Verdict.ACCEPT) : -1;
                out.chainTypes[c] = ch.isBase() ? ch.base().type() : null;
                out.chainHooks[c] = ch.isBase() ? ch.base().hook() : null;
                out.chainPriorities[c] = ch.isBase() ? ch.base().priority() : 0;
                out.ruleBase[c] = g;
                g += ch.rules().size();
                c++;
            }
        }
        c = 0;
        for (final Table t : ruleset.tables())
        {
            final Map<String, Integer> local = new HashMap<>();
            for (final Chain ch : t.chains())
            {
                local.put(ch.name(), out.chainIndex.get(ch));
            }
            for (final Chain ch : t.chains())
            {
                final ChainClassifier classifier = ChainClassifier.compile(ch.rules(), portNames);
                out.classifiers[c] = classifier;
                final List<Integer> code = new ArrayList<>();
                final int[] starts = new int[ch.rules().size() + 1];
                for (int r = 0; r < ch.rules().size(); r++)
                {
                    starts[r] = code.size();
                    final Rule rule = ch.rules().get(r);
                    final int ruleGlobal = out.ruleBase[c] + r;
                    final List<Expr> exprs = rule.exprs();
                    for (int x = 0; x < exprs.size(); x++)
                    {
                        compileExpr(out, t, ch, rule, exprs.get(x), x, r, classifier, local, portNames, portHasIpv4, code, counts,
                            ruleGlobal, workers);
                    }
                }
                starts[ch.rules().size()] = code.size();
                out.code[c] = code.stream().mapToInt(Integer::intValue).toArray();
                out.ruleStart[c] = starts;
                c++;
            }
        }
        checkDepth(out);
        for (int w = 0; w < workers; w++)
        {
            for (int l = 0; l < limits; l++)
            {
                out.buckets[w][PAD + 2 * l] = out.limitMax[l];
                out.buckets[w][PAD + 2 * l + 1] = nowNs;
            }
        }
        return out;
    }

    private static void compileExpr(final CompiledRuleset out, final Table t, final Chain ch, final Rule rule, final Expr e, final int x,
                                    final int r, final ChainClassifier classifier, final Map<String, Integer> local,
                                    final List<String> portNames, final boolean[] portHasIpv4, final List<Integer> code,
                                    final int[] counts, final int ruleGlobal, final int workers) throws RulesetException
    {
        final boolean nat = ch.isBase() && ch.base().type() == ChainType.NAT;
        switch (e)
        {
            case Match m ->
            {
                if (!classifier.decided(r, x))
                {
                    code.add(Program.TEST);
                    code.add(x);
                }
            }
            case Expr.Limit l ->
            {
                final int index = counts[0]++;
                // nft_limit_init: a packet costs unit/rate ns (bytes: unit * len / rate); the bucket holds
                // burst packets' worth (default 5), bytes: unit * (rate + burst) / rate. Per worker, every worker's
                // bucket refills at 1/workers of the rate, so that the workers together keep to it.
                final long rate = Math.max(1, l.rate());
                out.limitBytes[index] = l.bytes();
                out.limitOver[index] = l.over();
                if (l.bytes())
                {
                    out.limitCost[index] = Math.max(1, l.per().ns / rate) * workers; // per byte, scaled
                    out.limitMax[index] = l.per().ns / rate * (rate + l.burst());
                }
                else
                {
                    final long burst = l.burst() == 0 ? 5 : l.burst();
                    out.limitCost[index] = l.per().ns / rate * workers;
                    out.limitMax[index] = l.per().ns / rate * burst;
                }
                code.add(Program.LIMIT);
                code.add(index);
            }
            case Expr.Counter k ->
            {
                out.carried[2 * ruleGlobal] = k.packets();
                out.carried[2 * ruleGlobal + 1] = k.bytes();
                code.add(Program.COUNTER);
            }
            case Expr.Log l ->
            {
                final int index = counts[1]++;
                out.logPrefixes[index] = l.prefix() == null ? "" : l.prefix();
                out.logLevels[index] = l.level();
                code.add(Program.LOG);
                code.add(index);
            }
            case Expr.MarkSet s ->
            {
                code.add(s.field() == Field.CT_MARK ? Program.CT_MARK : Program.META_MARK);
                code.add((int)s.value());
            }
            case Expr.Notrack n -> code.add(Program.NOTRACK);
            case Expr.Nat n ->
            {
                if (!nat)
                {
                    throw new RulesetException(n.origin(), n.kind().keyword + " is only valid in a chain of type nat");
                }
                if (t.family() == Family.IP6)
                {
                    throw new RulesetException(n.origin(), "IPv6 NAT is not supported");
                }
                final Hook h = ch.base().hook();
                final boolean source = n.kind() == Expr.NatKind.SNAT || n.kind() == Expr.NatKind.MASQUERADE;
                if (source != (h == Hook.POSTROUTING || h == Hook.INPUT))
                {
                    throw new RulesetException(n.origin(), n.kind().keyword + " is not valid at hook " + h.name().toLowerCase());
                }
                if (n.kind() == Expr.NatKind.MASQUERADE)
                {
                    for (final Expr other : rule.exprs())
                    {
                        if (other instanceof Match m && (m.field() == Field.OIF || m.field() == Field.OIFNAME) && m.op() == Match.Op.EQ)
                        {
                            for (final String name : m.names())
                            {
                                final int id = portNames.indexOf(name);
                                if (id >= 0 && (id >= portHasIpv4.length || !portHasIpv4[id]))
                                {
                                    throw new RulesetException(n.origin(), "masquerade on " + name + ", a port without an IPv4 address");
                                }
                            }
                        }
                    }
                }
                final int index = counts[2]++;
                out.nats[index] = n;
                code.add(Program.NAT);
                code.add(index);
            }
            case Expr.Verdict v ->
            {
                switch (v.kind())
                {
                    case ACCEPT -> code.add(Program.ACCEPT);
                    case DROP -> code.add(Program.DROP);
                    case RETURN -> code.add(Program.RETURN);
                    case JUMP, GOTO ->
                    {
                        final Integer target = local.get(v.chain());
                        if (target == null)
                        {
                            throw new RulesetException(v.origin(), "chain " + v.chain() + " does not exist in table " + t.name());
                        }
                        if (out.chains[target].isBase())
                        {
                            throw new RulesetException(v.origin(), "cannot " + v.kind().keyword + " to base chain " + v.chain());
                        }
                        code.add(v.kind() == Expr.VerdictKind.JUMP ? Program.JUMP : Program.GOTO);
                        code.add(target);
                    }
                }
            }
            case Expr.Reject j ->
            {
                code.add(Program.REJECT);
                code.add(j.kind().ordinal());
                code.add(j.code());
            }
            case Expr.Queue q ->
            {
                code.add(Program.QUEUE);
                code.add(q.from());
                code.add(q.to());
                code.add((q.bypass() ? Program.QUEUE_BYPASS : 0) | (q.fanout() ? Program.QUEUE_FANOUT : 0));
            }
        }
    }

    /** Refuses loops and chains nested deeper than nft's jump stack (nft checks both when it loads). */
    private static void checkDepth(final CompiledRuleset out) throws RulesetException
    {
        final int n = out.chains.length;
        final int[] depth = new int[n];   // 0 unknown, -1 in progress, else 1 + deepest jump below
        for (int c = 0; c < n; c++)
        {
            if (out.chains[c].isBase() && depthOf(out, c, depth) > MAX_JUMP_DEPTH + 1)
            {
                throw new RulesetException(out.chains[c].origin(), "jumps nest deeper than " + MAX_JUMP_DEPTH + " chains");
            }
        }
    }

    private static int depthOf(final CompiledRuleset out, final int c, final int[] depth) throws RulesetException
    {
        if (depth[c] == -1)
        {
            throw new RulesetException(out.chains[c].origin(), "jumps from chain " + out.chains[c].name() + " loop back to it");
        }
        if (depth[c] > 0)
        {
            return depth[c];
        }
        depth[c] = -1;
        int deepest = 0;
        final int[] code = out.code[c];
        int pc = 0;
        while (pc < code.length)
        {
            final int op = code[pc];
            if (op == Program.JUMP || op == Program.GOTO)
            {
                final int below = depthOf(out, code[pc + 1], depth);
                // A goto replaces the frame: it does not add to the stack.
                deepest = Math.max(deepest, op == Program.JUMP ? below : below - 1);
            }
            pc += width(op);
        }
        depth[c] = deepest + 1;
        return depth[c];
    }

    static int width(final int op)
    {
        return switch (op)
        {
            case Program.TEST, Program.LIMIT, Program.LOG, Program.META_MARK, Program.CT_MARK, Program.NAT, Program.JUMP, Program.GOTO -> 2;
            case Program.REJECT -> 3;
            case Program.QUEUE -> 4;
            default -> 1;
        };
    }

    /** Control path: the chain index of {@code chain} (identity), -1 when it is not this ruleset's. */
    int chainIndex(final Chain chain)
    {
        final Integer c = chainIndex.get(chain);
        return c == null ? -1 : c;
    }

    /** Any thread: rule {@code g}'s counter summed over workers, with what was carried. */
    void read(final int g, final long[] out)
    {
        long packets = carried[2 * g];
        long bytes = carried[2 * g + 1];
        for (final long[] worker : counters)
        {
            packets += (long)LONGS.getOpaque(worker, PAD + 2 * g);
            bytes += (long)LONGS.getOpaque(worker, PAD + 2 * g + 1);
        }
        out[0] = packets;
        out[1] = bytes;
    }

    /** Whether rule {@code g} has a counter statement. */
    boolean hasCounter(final int c, final int r)
    {
        for (final Expr e : chains[c].rules().get(r).exprs())
        {
            if (e instanceof Expr.Counter)
            {
                return true;
            }
        }
        return false;
    }

    /** {@code family/table/chain/identity}: the key under which a rule's counters carry over to the next ruleset. */
    String ruleKey(final int c, final int r)
    {
        final Table t = chainTables[c];
        return t.family().keyword + '/' + t.name() + '/' + chains[c].name() + '/' + chains[c].rules().get(r).identity();
    }
}
