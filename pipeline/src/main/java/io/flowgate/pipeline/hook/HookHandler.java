package io.flowgate.pipeline.hook;

import io.flowgate.pipeline.burst.PacketBurst;

/**
 * A netfilter hook function over a burst: conntrack, NAT, the rule engine, defrag.
 * <p>
 * Linux calls its hook functions once per packet ({@code nf_hook_entry_hookfn} in {@code nf_hook_slow}).
 * Here a handler is called once per burst with the packets still traversing the hook, and writes one
 * verdict per packet: the call site in {@link HookChain} sees every handler type and is megamorphic, so a
 * per-packet call would pay an uninlined interface dispatch for every packet and every handler, and the
 * handler's body could never be compiled into the loop around it. Called once per burst, the dispatch is
 * paid once per handler per burst, and the handler's own loop over the packets is monomorphic: the JIT
 * inlines and unrolls it, and independent loads of different packets (table probes) overlap.
 * <p>
 * Contract: {@code packets[0..count)} are indices into the burst, ascending, each packet's
 * {@code burst.verdict} is ACCEPT; the handler writes a {@link Verdict} value into {@code verdicts[packet]}
 * for every one of them and for no other index, and does not change {@code burst.verdict} itself. A handler
 * that returns STOLEN owns the packet from then on (it frees, holds or transmits it); the worker will not
 * touch it again. A handler must not allocate, block or throw.
 * <p>
 * Thread-safety: called only by the worker that owns the {@link HookChain} it is registered with.
 */
public interface HookHandler
{
    /**
     * Decides on the packets {@code packets[0..count)} of {@code burst} at {@code hook}: writes a verdict
     * for each into {@code verdicts[packet]}.
     */
    void process(Hook hook, PacketBurst burst, int[] packets, int count, int[] verdicts);
}
