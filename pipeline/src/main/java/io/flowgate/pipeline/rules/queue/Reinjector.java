package io.flowgate.pipeline.rules.queue;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookRegistration;

/**
 * The worker's side of reinjection (Linux {@code nf_reinject}): a packet given ACCEPT continues at {@code hook}
 * with the handler after {@code after}, then the rest of the data path. Called by {@link WorkerQueue#drain} on the
 * worker thread, packet by packet, then {@link #flushReinjected} once.
 */
public interface Reinjector
{
    /** Packet {@code mbuf}, received on {@code inPort}, with meta mark {@code mark}, continues after {@code after}. */
    void reinject(long mbuf, Hook hook, HookRegistration after, int inPort, int mark);

    /** The end of one drain: packets still held for reinjection go through the data path now. */
    void flushReinjected();
}
