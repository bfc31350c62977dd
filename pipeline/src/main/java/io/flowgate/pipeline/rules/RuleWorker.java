package io.flowgate.pipeline.rules;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.burst.ParseStage;
import io.flowgate.pipeline.conntrack.ConntrackHook;
import io.flowgate.pipeline.conntrack.CtAccess;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookChain;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.nat.NatHook;
import io.flowgate.pipeline.nat.NatRewriter;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.pipeline.rules.classify.ChainClassifier;
import io.flowgate.pipeline.rules.classify.RuleKeys;
import io.flowgate.pipeline.rules.model.Expr;

/**
 * The rule engine on one worker: the ruleset this worker runs (read with an acquire load at the start of each
 * burst, {@link #enterBurst}), its epoch slot, and the evaluation of base chains ({@code nft_do_chain}) for the
 * hook handlers the engine registers in the worker's {@link HookChain}.
 * <p>
 * Usage: the worker calls {@link #enterBurst} where a burst's processing begins and once per duty cycle (so that
 * an idle worker passes the epoch too), and {@link #park} when it stops.
 * <p>
 * Thread-safety: everything but the epoch slot and the counters' reads belongs to the owning worker.
 */
public final class RuleWorker implements NatHook.RulesetNat
{
    /** Epoch slot of a worker that runs no burst (stopped, not started): it holds no ruleset. */
    static final long PARKED = Long.MAX_VALUE;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    /** Slot index in {@link #epoch}: the middle of 16 longs, alone on its cache line. */
    private static final int SLOT_INDEX = 8;

    final int id;
    private final RuleEngine engine;
    final HookChain chain;
    private final long[] epoch = new long[16];
    final RuleKeys keys;
    private final int[] stackChain = new int[CompiledRuleset.MAX_JUMP_DEPTH];
    private final int[] stackRule = new int[CompiledRuleset.MAX_JUMP_DEPTH];
    /** Per packet of the burst: the first base chain's first matching rule ({@code ChainClassifier.classify}). */
    private final int[] first;
    final LogRing log;
    CtAccess ct;
    /** The ruleset of the burst in progress: written only here, at {@link #enterBurst}. */
    private CompiledRuleset current;
    /** Per pair number: this worker's handler and its registration (null when not registered). */
    final List<HookRegistration> registrations = new ArrayList<>();

    // Statistics, written by the worker only (read racily).
    long rulesEvaluated;
    long jumpStackDrops;
    /** Masquerade or redirect on a port without IPv4 address: the connection's first packet dropped. */
    long natNoAddress;
    /** IPv4 address of port {@code id} (0: none), for masquerade and redirect. */
    int[] portAddresses = new int[0];

    RuleWorker(final int id, final RuleEngine engine, final HookChain chain, final int logRecords)
    {
        this.id = id;
        this.engine = engine;
        this.chain = chain;
        this.keys = new RuleKeys(chain.capacity());
        this.first = new int[chain.capacity()];
        this.log = new LogRing(logRecords);
        SLOT.setVolatile(epoch, SLOT_INDEX, PARKED);
    }

    /** The worker's conntrack (ct state, ct mark set); null without conntrack. */
    public void conntrack(final CtAccess ct)
    {
        this.ct = ct;
    }

    /**
     * Worker: the start of a burst (or of an idle duty cycle). Takes the published ruleset and records its version
     * in this worker's slot; the slot is stored before the ruleset is read again, so that the engine, which
     * publishes before it reads the slots, either sees this worker holding the new version or sees it holding an
     * older one and waits.
     */
    public void enterBurst()
    {
        CompiledRuleset rules = engine.acquire();   // A2: pairs with R2 in RuleEngine.publish
        if (rules == current)
        {
            return;
        }
        while (true)
        {
            SLOT.setVolatile(epoch, SLOT_INDEX, rules.version);
            final CompiledRuleset again = engine.acquire();
            if (again == rules)
            {
                break;
            }
            rules = again;
        }
        current = rules;
    }

    /** Worker, when it stops: it holds no ruleset from now on (the engine will not wait for it). */
    public void park()
    {
        current = null;
        SLOT.setVolatile(epoch, SLOT_INDEX, PARKED);
    }

    /** Control: the version this worker holds ({@link #PARKED} when none). */
    long epoch()
    {
        return (long)SLOT.getVolatile(epoch, SLOT_INDEX);
    }

    CompiledRuleset current()
    {
        return current;
    }

    /**
     * Worker, during a burst or its housekeeping: the version of the ruleset it holds (low 32 bits), which
     * {@code PacketBurst.ruleCounters} refer to; 0 when it holds none.
     */
    public int version()
    {
        final CompiledRuleset rules = current;
        return rules == null ? 0 : (int)rules.version;
    }

    /**
     * Worker (the offload's folds): adds {@code packets} and {@code bytes} the fast path carried to the counter of
     * global rule {@code rule} of ruleset {@code version}, as if this worker had counted them. Returns false, adding
     * nothing, when this worker no longer holds that ruleset (it was replaced: its rules' indexes mean nothing now).
     */
    public boolean foldCounter(final int version, final int rule, final long packets, final long bytes)
    {
        final CompiledRuleset rules = current;
        if (rules == null || (int)rules.version != version)
        {
            return false;
        }
        final long[] counters = rules.counters[id];
        final int g = CompiledRuleset.PAD + 2 * rule;
        if (rule < 0 || g + 1 >= counters.length - CompiledRuleset.PAD)
        {
            return false;
        }
        counters[g] += packets;
        counters[g + 1] += bytes;
        return true;
    }

    /** The hook handler of pair {@code pair}: runs the base chains the current ruleset has at it. */
    HookHandler handler(final int pair)
    {
        return new PairHandler(pair);
    }

    private final class PairHandler implements HookHandler
    {
        private final int pair;

        PairHandler(final int pair)
        {
            this.pair = pair;
        }

        @Override
        public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
        {
            run(pair, hook, burst, packets, count, verdicts);
        }
    }

    void run(final int pair, final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
    {
        final CompiledRuleset rules = current;
        final int[] chains = rules == null || pair >= rules.byPair.length ? null : rules.byPair[pair];
        if (chains == null || chains.length == 0)
        {
            for (int k = 0; k < count; k++)
            {
                verdicts[packets[k]] = Verdict.ACCEPT;
            }
            return;
        }
        final RuleKeys keys = this.keys;
        KeyExtractor.fill(hook, burst, packets, count, keys, ct);
        // The first chain's first rule for the whole burst at once (the classifier overlaps the packets' loads);
        // later chains may see keys a statement changed, so they ask per packet.
        final int[] first = this.first;
        rules.classifiers[chains[0]].classify(keys, packets, count, first);
        final long nowNs = System.nanoTime();
        for (int k = 0; k < count; k++)
        {
            final int p = packets[k];
            final int family = keys.nfproto[p] == RuleKeys.NFPROTO_IPV4 ? CompiledRuleset.FAMILY_IPV4
                : keys.nfproto[p] == RuleKeys.NFPROTO_IPV6 ? CompiledRuleset.FAMILY_IPV6 : 0;
            int verdict = Verdict.ACCEPT;
            // burst.ruleEffects[p] is written by evaluate for each statement that is not a plain verdict (and never
            // cleared here: the packet's hooks accumulate it).
            for (int c = 0; c < chains.length && verdict == Verdict.ACCEPT; c++)
            {
                final int base = chains[c];
                if ((rules.chainFamilies[base] & family) != 0)
                {
                    verdict = evaluate(rules, base, hook, burst, p, keys, nowNs, family, c == 0 ? first[p] : ASK);
                }
            }
            verdicts[p] = verdict;
        }
    }

    /**
     * {@code nft_do_chain} for packet {@code p} from base chain {@code base}: returns the verdict (ACCEPT lets the
     * packet go on to the hook's next handler). For nat chains, returns {@link #NAT_BOUND} plus the nat index when a
     * NAT statement ran.
     */
    int evaluate(final CompiledRuleset rules, final int base, final Hook hook, final PacketBurst burst, final int p, final RuleKeys keys,
                 final long nowNs, final int family, final int firstRule)
    {
        int known = firstRule;
        final int[] stackChain = this.stackChain;
        final int[] stackRule = this.stackRule;
        int sp = 0;
        int chain = base;
        int from = 0;
        long evaluated = 0;
        outer:
        while (true)
        {
            final ChainClassifier classifier = rules.classifiers[chain];
            final int rule = known != ASK ? known : classifier.next(keys, p, from);
            known = ASK;
            if (rule < 0)
            {
                // End of a chain: a regular chain returns, a base chain applies its policy.
                if (sp == 0)
                {
                    rulesEvaluated += evaluated;
                    return rules.policy[base];
                }
                sp--;
                chain = stackChain[sp];
                from = stackRule[sp];
                continue;
            }
            evaluated++;
            final int[] code = rules.code[chain];
            final int end = rules.ruleStart[chain][rule + 1];
            int pc = rules.ruleStart[chain][rule];
            from = rule + 1;
            while (pc < end)
            {
                final int op = code[pc];
                switch (op)
                {
                    case Program.TEST ->
                    {
                        if (!classifier.test(rule, code[pc + 1], keys, p))
                        {
                            continue outer;
                        }
                    }
                    case Program.LIMIT ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK; // the bucket must see every packet of the flow, matched or not
                        if (!limit(rules, code[pc + 1], keys.length[p], nowNs))
                        {
                            continue outer;
                        }
                    }
                    case Program.COUNTER ->
                    {
                        final int global = rules.ruleBase[chain] + rule;
                        final long[] counters = rules.counters[id];
                        final int g = CompiledRuleset.PAD + 2 * global;
                        counters[g]++;
                        counters[g + 1] += keys.length[p];
                        // Remembered for the offload: its folds add the fast path's packets to this rule (foldCounter).
                        final int n = burst.ruleEffects[p];
                        if (n >= 0 && n < PacketBurst.RULE_COUNTERS)
                        {
                            burst.ruleCounters[PacketBurst.RULE_COUNTERS * p + n] = global;
                            burst.ruleEffects[p] = (byte)(n + 1);
                        }
                        else
                        {
                            burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        }
                    }
                    case Program.LOG ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        log.offer(rules.version, code[pc + 1], hook.ordinal(), keys.iif[p], keys.oif[p], family,
                            burst.frame[p], burst.l3[p], keys.length[p]);
                    }
                    case Program.META_MARK ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        burst.mark[p] = code[pc + 1];
                        keys.metaMark[p] = code[pc + 1];
                    }
                    case Program.CT_MARK ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        if (ct != null && burst.ct[p] >= 0)
                        {
                            ct.mark(burst, p, code[pc + 1]);
                            keys.ctMark[p] = code[pc + 1];
                        }
                    }
                    case Program.NOTRACK ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        // nft_notrack_eval: only a packet conntrack has not seen yet.
                        if (burst.ctinfo[p] == ParseStage.NOT_TRACKED_YET)
                        {
                            burst.ct[p] = ConntrackHook.NOTRACK;
                            burst.ctinfo[p] = CtInfo.UNTRACKED;
                            keys.ctState[p] = 64;
                        }
                    }
                    case Program.NAT ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        rulesEvaluated += evaluated;
                        return NAT_BOUND + code[pc + 1];
                    }
                    case Program.ACCEPT ->
                    {
                        rulesEvaluated += evaluated;
                        return Verdict.ACCEPT;
                    }
                    case Program.DROP ->
                    {
                        rulesEvaluated += evaluated;
                        return Verdict.DROP;
                    }
                    case Program.REJECT ->
                    {
                        burst.reject[p] = rejectCode(code[pc + 1], code[pc + 2], family, keys.l4proto[p]);
                        rulesEvaluated += evaluated;
                        return Verdict.DROP;
                    }
                    case Program.QUEUE ->
                    {
                        burst.ruleEffects[p] = PacketBurst.RULES_BLOCK;
                        rulesEvaluated += evaluated;
                        final int first = code[pc + 1];
                        final int span = code[pc + 2] - first + 1;
                        final int flags = code[pc + 3];
                        final int number = span <= 1 ? first
                            : first + (int)(((flags & Program.QUEUE_FANOUT) != 0 ? id : burst.flowHash[p] & 0xFFFF_FFFFL) % span);
                        return Verdict.queue(number, (flags & Program.QUEUE_BYPASS) != 0);
                    }
                    case Program.JUMP ->
                    {
                        if (sp == CompiledRuleset.MAX_JUMP_DEPTH)
                        {
                            jumpStackDrops++;   // nft_do_chain drops on overflow (the load-time check makes it unreachable)
                            rulesEvaluated += evaluated;
                            return Verdict.DROP;
                        }
                        stackChain[sp] = chain;
                        stackRule[sp] = rule + 1;
                        sp++;
                        chain = code[pc + 1];
                        from = 0;
                        continue outer;
                    }
                    case Program.GOTO ->
                    {
                        chain = code[pc + 1];
                        from = 0;
                        continue outer;
                    }
                    case Program.RETURN ->
                    {
                        if (sp == 0)
                        {
                            rulesEvaluated += evaluated;
                            return rules.policy[base];
                        }
                        sp--;
                        chain = stackChain[sp];
                        from = stackRule[sp];
                        continue outer;
                    }
                    default -> throw new IllegalStateException("bad opcode " + op);
                }
                pc += CompiledRuleset.width(op);
            }
            // The rule ran to its end without a verdict: the next rule of the same chain.
        }
    }

    /** {@link #evaluate}'s first rule not known yet: the classifier is asked. */
    private static final int ASK = -2;

    /** nft's icmpx codes (no-route, port-unreachable, host-unreachable, admin-prohibited) in ICMP and ICMPv6. */
    private static final int[] ICMPX_TO_ICMP = {0, 3, 1, 13};
    private static final int[] ICMPX_TO_ICMPV6 = {0, 4, 3, 1};

    /** {@link #evaluate}'s result when a NAT statement ran: this plus the statement's index. */
    static final int NAT_BOUND = 1 << 20;

    /**
     * NatHook, at a connection's first packet: the ruleset's nat chains of this manip's hook in priority order
     * ({@code nf_nat_inet_fn}) until one binds the connection or drops the packet.
     */
    @Override
    public int decide(final int manip, final PacketBurst burst, final int i, final int index, final NatBinder binder)
    {
        final CompiledRuleset rules = current;
        if (rules == null)
        {
            return NONE;
        }
        final boolean source = manip == NatRewriter.MANIP_SRC;
        final int[] chains = rules.natChains[source ? 1 : 0];
        if (chains.length == 0)
        {
            return NONE;
        }
        final RuleKeys keys = this.keys;
        KeyExtractor.one(burst, i, keys, ct, true, source);
        final Hook hook = source ? Hook.POSTROUTING : Hook.PREROUTING;
        final long nowNs = System.nanoTime();
        for (int k = 0; k < chains.length; k++)
        {
            final int c = chains[k];
            if ((rules.chainFamilies[c] & CompiledRuleset.FAMILY_IPV4) == 0)
            {
                continue;
            }
            final int verdict = evaluate(rules, c, hook, burst, i, keys, nowNs, CompiledRuleset.FAMILY_IPV4, ASK);
            if (verdict >= NAT_BOUND)
            {
                return bind(rules.nats[verdict - NAT_BOUND], source, burst, i, index, binder) ? BOUND : DROP;
            }
            if ((verdict & Verdict.VERDICT_MASK) != Verdict.ACCEPT)
            {
                return DROP;
            }
        }
        return NONE;
    }

    /** A NAT statement as a range for the binder (nft_nat_eval, nft_masq_eval, nft_redir_eval). */
    private boolean bind(final Expr.Nat nat, final boolean source, final PacketBurst burst, final int i, final int index,
                         final NatBinder binder)
    {
        int flags = 0;
        if ((nat.flags() & Expr.NAT_RANDOM) != 0)
        {
            flags |= NatRange.RANDOM;
        }
        if ((nat.flags() & Expr.NAT_FULLY_RANDOM) != 0)
        {
            flags |= NatRange.RANDOM_FULLY;
        }
        if ((nat.flags() & Expr.NAT_PERSISTENT) != 0)
        {
            flags |= NatRange.PERSISTENT;
        }
        int min = nat.addressMin();
        int max = nat.addressMax() == 0 ? min : nat.addressMax();
        if (nat.kind() == Expr.NatKind.MASQUERADE || nat.kind() == Expr.NatKind.REDIRECT)
        {
            // The address of the port the packet leaves by (masquerade) or came in on (redirect); none: drop.
            final int port = nat.kind() == Expr.NatKind.MASQUERADE ? burst.outPort[i] : burst.inPort[i];
            final int address = port >= 0 && port < portAddresses.length ? portAddresses[port] : 0;
            if (address == 0)
            {
                natNoAddress++;
                return false;
            }
            min = address;
            max = address;
        }
        if (min != 0)
        {
            flags |= NatRange.MAP_IPS;
        }
        int portMin = 0;
        int portMax = 0;
        if (nat.portMin() >= 0)
        {
            flags |= NatRange.PROTO_SPECIFIED;
            portMin = nat.portMin();
            portMax = nat.portMax() < 0 ? portMin : nat.portMax();
        }
        return binder.setup(index, source ? NatBinder.MANIP_SRC : NatBinder.MANIP_DST, flags, min, max, portMin, portMax,
            source && (flags & NatRange.MAP_IPS) != 0);
    }

    /** nft_limit_eval: a token bucket refilled by elapsed time. Per worker (see {@link CompiledRuleset#compile}). */
    private boolean limit(final CompiledRuleset rules, final int l, final int length, final long nowNs)
    {
        final long[] bucket = rules.buckets[id];
        final int at = CompiledRuleset.PAD + 2 * l;
        final long max = rules.limitMax[l];
        long tokens = bucket[at] + nowNs - bucket[at + 1];
        if (tokens > max)
        {
            tokens = max;
        }
        bucket[at + 1] = nowNs;
        final long cost = rules.limitBytes[l] ? rules.limitCost[l] * length : rules.limitCost[l];
        final long left = tokens - cost;
        final boolean within = left >= 0;
        bucket[at] = within ? left : tokens;
        return within != rules.limitOver[l];
    }

    /** What PacketBurst.reject says for {@code reject [with ...]} on a packet of {@code family}. */
    static int rejectCode(final int kind, final int code, final int family, final int l4proto)
    {
        final boolean v6 = family == CompiledRuleset.FAMILY_IPV6;
        if (kind == Expr.RejectKind.TCP_RESET.ordinal())
        {
            // nf_send_reset answers TCP only: any other packet is just dropped.
            return l4proto == 6 ? RejectCodes.of(RejectCodes.TCP_RESET, 0) : RejectCodes.NONE;
        }
        if (kind == Expr.RejectKind.ICMPX.ordinal())
        {
            // nft_reject_icmp_code / icmpv6_code: no-route, port-unreachable, host-unreachable, admin-prohibited.
            final int x = code >= 0 && code < 4 ? code : 1;
            return v6 ? RejectCodes.of(RejectCodes.ICMPV6, ICMPX_TO_ICMPV6[x]) : RejectCodes.of(RejectCodes.ICMP, ICMPX_TO_ICMP[x]);
        }
        if (kind == Expr.RejectKind.ICMPV6.ordinal())
        {
            return RejectCodes.of(RejectCodes.ICMPV6, code);
        }
        return v6 ? RejectCodes.of(RejectCodes.ICMPV6, 4) : RejectCodes.of(RejectCodes.ICMP, code);
    }
}
