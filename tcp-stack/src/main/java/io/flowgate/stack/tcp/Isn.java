package io.flowgate.stack.tcp;

/**
 * Initial sequence numbers per RFC 6528: a 4-microsecond clock plus a keyed hash of the 4-tuple (SipHash-2-4 with
 * a key derived from the stack's seed), so that ISNs of one pair grow over time (the TIME_WAIT reuse rule relies
 * on it) and are unpredictable to others. Also the timestamp offset per pair of addresses (Linux's
 * secure_tcp_ts_off, RFC 7323 section 5.4), hashed under a second key.
 *
 * <p>Differs from Linux: Linux's secure_tcp_seq adds the clock in 64 ns units; this uses RFC 6528's 4 µs
 * (the sequence space then wraps in 4.77 hours instead of 274 s). Single thread (the stack's).
 */
public final class Isn
{
    private static final long NS_PER_TICK = 4_000L;

    private final long seqKey0;
    private final long seqKey1;
    private final long tsKey0;
    private final long tsKey1;
    private final SipHash hash = new SipHash();

    public Isn(final long seed)
    {
        seqKey0 = SipHash.mix(seed);
        seqKey1 = SipHash.mix(seqKey0);
        tsKey0 = SipHash.mix(seqKey1);
        tsKey1 = SipHash.mix(tsKey0);
    }

    public int isn(final long localHi, final long localLo, final long remoteHi, final long remoteLo, final int localPort,
                   final int remotePort, final long nowNs)
    {
        hash.init(seqKey0, seqKey1);
        hash.word(localHi);
        hash.word(localLo);
        hash.word(remoteHi);
        hash.word(remoteLo);
        hash.word(((long)(localPort & 0xFFFF) << 16) | (remotePort & 0xFFFF));
        final long h = hash.finish(5);
        return (int)h + (int)(nowNs / NS_PER_TICK);
    }

    /** A per-pair offset added to the millisecond timestamp clock. */
    public int timestampOffset(final long localHi, final long localLo, final long remoteHi, final long remoteLo)
    {
        hash.init(tsKey0, tsKey1);
        hash.word(localHi);
        hash.word(localLo);
        hash.word(remoteHi);
        hash.word(remoteLo);
        return (int)hash.finish(4);
    }
}
