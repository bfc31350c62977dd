package io.flowgate.pipeline.rules;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.nat.NatPolicy;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.CounterReader;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;
import io.flowgate.pipeline.rules.nft.NftPrinter;

/**
 * The router's rule engine (docs/rules.md). Control plane: {@link #load} compiles a ruleset off the data path and
 * publishes it in one step; every worker switches at a burst boundary; the old one is retired once every worker has
 * passed (epoch) and its counters are carried to the same rules of the new one. A ruleset that fails to compile
 * leaves the running one untouched.
 * <p>
 * Usage: the router creates the engine with its ports, {@link #attach}es each worker's hook chain (the worker calls
 * {@link RuleWorker#enterBurst} at the start of every burst and duty cycle), then {@link #load}s. Reached through
 * {@code Router.rules()}.
 * <p>
 * Thread-safety: {@link #load}, {@link #list} and the statistics from any control thread (loads are serialized);
 * the published ruleset is read by the workers with acquire loads.
 * <p>
 * Shutdown: {@link #close} stops the logger thread; the workers {@link RuleWorker#park park} when they stop.
 * <p>
 * Limits ({@code limit rate}) are per worker: each worker's bucket refills at rate / workers and holds the full
 * burst, so that the workers together keep to the rate without sharing a cache line per packet.
 */
public final class RuleEngine implements AutoCloseable
{
    /** How long {@link #load} waits for a worker to pass the epoch before it retires the old ruleset anyway. */
    static final long EPOCH_WAIT_NS = TimeUnit.SECONDS.toNanos(2);
    /** Log records each worker's ring holds. */
    static final int LOG_RECORDS = 1024;

    private static final VarHandle PUBLISHED;

    static
    {
        try
        {
            PUBLISHED = MethodHandles.lookup().findVarHandle(RuleEngine.class, "published", CompiledRuleset.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final List<String> portNames;
    private final boolean[] portHasIpv4;
    private final List<RuleWorker> workers = new ArrayList<>();
    private final Map<Long, Integer> pairNumbers = new HashMap<>();
    private final List<Hook> pairHooks = new ArrayList<>();
    private final List<Integer> pairPriorities = new ArrayList<>();
    private final RuleLogger logger;
    @SuppressWarnings("unused") // through PUBLISHED
    private CompiledRuleset published;
    /** The ruleset before the published one (the logger may still meet its records). */
    private volatile CompiledRuleset previous;
    private long version;
    /** NAT as the router wired it: none (nat chains refused), the configuration's rules (refused too), or the ruleset's. */
    private NatPolicy natPolicy;
    private boolean natFromConfiguration;
    private int[] portAddresses = new int[0];
    private long loads;
    private long refusals;
    private long epochTimeouts;

    /**
     * @param portNames   the name of port {@code id} at index id (null for an unused id)
     * @param portHasIpv4 whether port {@code id} has an IPv4 address (masquerade)
     */
    public RuleEngine(final List<String> portNames, final boolean[] portHasIpv4)
    {
        this.portNames = List.copyOf(portNames.stream().map(n -> n == null ? "" : n).toList());
        this.portHasIpv4 = portHasIpv4.clone();
        this.logger = new RuleLogger(this::byVersion, this.portNames);
        PUBLISHED.setRelease(this, emptyCompiled());
    }

    private CompiledRuleset emptyCompiled()
    {
        try
        {
            return CompiledRuleset.compile(0, Ruleset.empty(), 0, portNames, portHasIpv4, this::pair, System.nanoTime());
        }
        catch (final RulesetException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Control, before the first {@link #load}: the rule engine of one more worker, whose hook chain gets the
     * handlers of the ruleset's base chains.
     */
    public synchronized RuleWorker attach(final HookChain chain)
    {
        if (version != 0)
        {
            throw new IllegalStateException("workers attach before the first ruleset is loaded");
        }
        final RuleWorker worker = new RuleWorker(workers.size(), this, chain, LOG_RECORDS);
        workers.add(worker);
        logger.add(worker.log);
        return worker;
    }

    /**
     * Control, by the router when it wires NAT, before the first load: the policy whose ownership the ruleset's pools
     * join, whether the configuration has NAT rules of its own (then nat chains are refused), and the IPv4 address of
     * each port by id (masquerade, redirect).
     */
    public synchronized void nat(final NatPolicy policy, final boolean fromConfiguration, final int[] portAddressById)
    {
        this.natPolicy = policy;
        this.natFromConfiguration = fromConfiguration;
        this.portAddresses = portAddressById.clone();
        for (final RuleWorker w : workers)
        {
            w.portAddresses = portAddresses;
        }
    }

    /** Whether {@code ruleset} has base chains of type nat. */
    public static boolean hasNatChains(final Ruleset ruleset)
    {
        for (final Table t : ruleset.tables())
        {
            for (final Chain c : t.chains())
            {
                if (c.isBase() && c.base().type() == ChainType.NAT)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code ruleset} needs connection tracking (nat chains). */
    public static boolean needsConntrack(final Ruleset ruleset)
    {
        return hasNatChains(ruleset);
    }

    /** Control: whether {@code ruleset} would load on {@code workerCount} workers; nothing changes. */
    public synchronized void check(final Ruleset ruleset, final int workerCount) throws RulesetException
    {
        CompiledRuleset.compile(0, ruleset, workerCount, portNames, portHasIpv4, this::pair, System.nanoTime());
    }

    private void checkNat(final Ruleset ruleset) throws RulesetException
    {
        for (final Table t : ruleset.tables())
        {
            for (final Chain c : t.chains())
            {
                if (c.isBase() && c.base().type() == ChainType.NAT)
                {
                    if (natFromConfiguration)
                    {
                        throw new RulesetException(c.origin(), "nat chain " + c.name()
                            + ": the configuration has NAT rules (nat:) already; use one or the other");
                    }
                    if (natPolicy == null)
                    {
                        throw new RulesetException(c.origin(), "nat chain " + c.name()
                            + ": the router runs without NAT (start it with a ruleset that has nat chains, and conntrack)");
                    }
                }
            }
        }
    }

    /** {start, end} pairs of the addresses the ruleset's snat and masquerade statements translate sources to. */
    private int[] pools(final CompiledRuleset rules)
    {
        final List<Integer> out = new ArrayList<>();
        for (final Expr.Nat n : rules.nats)
        {
            if (n.kind() == Expr.NatKind.SNAT && n.addressMin() != 0)
            {
                out.add(n.addressMin());
                out.add(n.addressMax() == 0 ? n.addressMin() : n.addressMax());
            }
            else if (n.kind() == Expr.NatKind.MASQUERADE)
            {
                // Any port's address may be the one a masqueraded connection leaves by.
                for (final int address : portAddresses)
                {
                    if (address != 0)
                    {
                        out.add(address);
                        out.add(address);
                    }
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Compiles and publishes {@code ruleset}; returns once every worker runs it. Refused: nothing changes. */
    public synchronized void load(final Ruleset ruleset) throws RulesetException
    {
        final CompiledRuleset next;
        try
        {
            checkNat(ruleset);
            next = CompiledRuleset.compile(version + 1, ruleset, workers.size(), portNames, portHasIpv4, this::pair, System.nanoTime());
        }
        catch (final RulesetException | RuntimeException e)
        {
            refusals++;
            throw e;
        }
        if (natPolicy != null)
        {
            natPolicy.rulesetPools(pools(next)); // ownership knows the new pools before a connection can be bound to them
        }
        version++;
        loads++;
        // New pairs get their handlers before the ruleset that uses them is published.
        for (int pair = 0; pair < next.byPair.length; pair++)
        {
            if (next.byPair[pair].length > 0)
            {
                for (final RuleWorker w : workers)
                {
                    while (w.registrations.size() <= pair)
                    {
                        w.registrations.add(null);
                    }
                    if (w.registrations.get(pair) == null)
                    {
                        final Hook hook = pairHooks.get(pair);
                        final int priority = pairPriorities.get(pair);
                        w.registrations.set(pair, w.chain.register(hook, priority, "nft " + hook.name().toLowerCase() + " " + priority,
                            w.handler(pair)));
                    }
                }
            }
        }
        final CompiledRuleset old = (CompiledRuleset)PUBLISHED.getAcquire(this);
        PUBLISHED.setVolatile(this, next);   // R2: pairs with A2 in RuleWorker.enterBurst
        awaitEpoch(next.version);
        fold(old, next);
        previous = old;
        // Pairs the new ruleset does not use: no worker runs their chains any more.
        for (final RuleWorker w : workers)
        {
            for (int pair = 0; pair < w.registrations.size(); pair++)
            {
                final HookRegistration r = w.registrations.get(pair);
                if (r != null && (pair >= next.byPair.length || next.byPair[pair].length == 0))
                {
                    w.chain.unregister(r);
                    w.registrations.set(pair, null);
                }
            }
        }
        if (!workers.isEmpty() && hasLog(next))
        {
            logger.start();
        }
    }

    private static boolean hasLog(final CompiledRuleset rules)
    {
        return rules.logPrefixes.length > 0;
    }

    /** Waits (bounded) until every running worker holds {@code target} or later. */
    private void awaitEpoch(final long target)
    {
        final long deadline = System.nanoTime() + EPOCH_WAIT_NS;
        for (final RuleWorker w : workers)
        {
            while (true)
            {
                final long held = w.epoch();
                if (held == RuleWorker.PARKED || held >= target)
                {
                    break;
                }
                if (System.nanoTime() > deadline)
                {
                    epochTimeouts++;
                    break;
                }
                Thread.onSpinWait();
            }
        }
    }

    /** The old ruleset's counts go to the new ruleset's rules with the same family/table/chain and identity. */
    private static void fold(final CompiledRuleset old, final CompiledRuleset next)
    {
        final Map<String, ArrayDeque<Integer>> byKey = new HashMap<>();
        for (int c = 0; c < old.chains.length; c++)
        {
            for (int r = 0; r < old.chains[c].rules().size(); r++)
            {
                byKey.computeIfAbsent(old.ruleKey(c, r), k -> new ArrayDeque<>()).add(old.ruleBase[c] + r);
            }
        }
        final long[] values = new long[2];
        for (int c = 0; c < next.chains.length; c++)
        {
            for (int r = 0; r < next.chains[c].rules().size(); r++)
            {
                final ArrayDeque<Integer> same = byKey.get(next.ruleKey(c, r));
                if (same != null && !same.isEmpty())
                {
                    old.read(same.poll(), values);
                    final int g = next.ruleBase[c] + r;
                    next.carried[2 * g] = values[0];
                    next.carried[2 * g + 1] = values[1];
                }
            }
        }
    }

    /** The running ruleset (as loaded). */
    public Ruleset ruleset()
    {
        return acquire().source;
    }

    /** {@code nft list ruleset}: the running ruleset in nft syntax with its live counters. */
    public synchronized String list()
    {
        return NftPrinter.print(acquire().source, counters());
    }

    /** Live counters of the running ruleset: packets and bytes of a rule's counter statement, summed over workers. */
    public CounterReader counters()
    {
        final CompiledRuleset rules = acquire();
        return (final Table table, final Chain chain, final int ruleIndex, final long[] out) ->
        {
            final int c = rules.chainIndex(chain);
            if (c < 0 || ruleIndex < 0 || ruleIndex >= chain.rules().size() || !rules.hasCounter(c, ruleIndex))
            {
                return false;
            }
            rules.read(rules.ruleBase[c] + ruleIndex, out);
            return true;
        };
    }

    CompiledRuleset acquire()
    {
        return (CompiledRuleset)PUBLISHED.getAcquire(this);
    }

    private CompiledRuleset byVersion(final long v)
    {
        final CompiledRuleset now = acquire();
        if (now.version == v)
        {
            return now;
        }
        final CompiledRuleset before = previous;
        return before != null && before.version == v ? before : null;
    }

    /** The handler number of (hook, priority): stable for the engine's life. */
    private int pair(final Hook hook, final int priority)
    {
        final long key = ((long)hook.ordinal() << 32) | (priority & 0xFFFF_FFFFL);
        Integer n = pairNumbers.get(key);
        if (n == null)
        {
            n = pairHooks.size();
            pairNumbers.put(key, n);
            pairHooks.add(hook);
            pairPriorities.add(priority);
        }
        return n;
    }

    public List<RuleWorker> workers()
    {
        return List.copyOf(workers);
    }

    /** The logger of the {@code log} statement (its sink can be replaced). */
    public RuleLogger logger()
    {
        return logger;
    }

    private long sum(final java.util.function.ToLongFunction<RuleWorker> counter)
    {
        long n = 0;
        for (final RuleWorker w : workers)
        {
            n += counter.applyAsLong(w);
        }
        return n;
    }

    // Statistics (any thread, a little stale).

    /** Rules whose programs ran, summed over workers. */
    public long rulesEvaluated()
    {
        return sum(w -> w.rulesEvaluated);
    }

    /** Log lines dropped because a worker's log ring was full. */
    public long logDropped()
    {
        return sum(w -> w.log.dropped());
    }

    /** Masquerade or redirect of a connection whose port had no IPv4 address: its first packet dropped. */
    public long natWithoutAddress()
    {
        return sum(w -> w.natNoAddress);
    }

    /** Packets dropped because the jump stack overflowed (unreachable: loads refuse deeper nesting). */
    public long jumpStackDrops()
    {
        return sum(w -> w.jumpStackDrops);
    }

    public long loads()
    {
        return loads;
    }

    public long refusals()
    {
        return refusals;
    }

    /** Loads that retired the old ruleset without every worker having passed (a worker stuck for 2 s). */
    public long epochTimeouts()
    {
        return epochTimeouts;
    }

    /** The running ruleset's version (1 for the first load). */
    public long version()
    {
        return acquire().version;
    }

    @Override
    public void close()
    {
        logger.close();
    }
}
