package io.flowgate.pipeline.burst;

import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;

/**
 * A burst on its way through the pipeline: the mbuf pointers ({@link MbufBurst}) and, in parallel primitive
 * arrays indexed like them, what each stage learned or decided about each packet (structure of arrays).
 * Every stage loops over the whole burst before the next stage starts.
 * <p>
 * Thread-safety: owned by one worker; never shared.
 * <p>
 * Conventions: addresses are raw native addresses; {@code l3[i]} is the address of the network header;
 * {@link #verdict} holds a {@code Verdict} constant; a packet whose verdict is not ACCEPT is skipped by the
 * stages after the one that decided, and the worker's tail frees or hands it off exactly once.
 */
public final class PacketBurst
{
    public final MbufBurst mbufs;
    public final int capacity;

    /** Address of the first byte of the frame (Ethernet header). */
    public final long[] frame;
    /** Frame length in bytes (single segment). */
    public final int[] length;
    /** Address of the network header, 0 when the frame carries none we handle. */
    public final long[] l3;
    /** The frame's EtherType after VLAN tags. */
    public final int[] etherType;
    /** Receiving port id. */
    public final int[] inPort;
    /** Transmitting port id chosen by routing, -1 before. */
    public final int[] outPort;
    /** Next-hop id chosen by routing, -1 before. */
    public final int[] nextHop;
    /** Symmetric flow hash (same value for both directions of a flow), written by a hash stage (SymmetricFlowHash): before it, stale. */
    public final int[] flowHash;
    /** Current verdict ({@code Verdict}). */
    public final int[] verdict;
    /** Why a packet was dropped or diverted (a stage's reason code), 0 when it was not. */
    public final int[] reason;
    /** TSC at receive, for latency recording. */
    public final long[] rxTsc;
    /** The packet's conntrack entry (record index in its worker's table), -1 when untracked or invalid; written at PREROUTING. */
    public final int[] ct;
    /** The packet's {@code CtInfo} (NEW, ESTABLISHED, RELATED, their reply forms, INVALID, UNTRACKED); written at PREROUTING. */
    public final int[] ctinfo;
    /** nft's {@code meta mark} of each packet (0 on receive; {@code meta mark set} writes it). */
    public final int[] mark;
    /**
     * A packet the rule engine rejected: its verdict is DROP and this says what to send back instead of only
     * freeing it ({@code rules.RejectCodes}); 0 for every other packet.
     */
    public final int[] reject;
    /**
     * What the rules that matched the packet did besides plain verdicts, for the offload decision
     * ({@code offload.WorkerOffload.consider}): 0 at receive (nothing), 1..{@link #RULE_COUNTERS} the number of rule
     * counters that counted it (their rules in {@link #ruleCounters}), {@link #RULES_BLOCK} a statement the fast path
     * would bypass (limit, log, meta/ct mark set, notrack, NAT, queue, or more counters than fit). Written by the rule
     * engine; its flow is offloaded only at 0, or with counters the folds can add the fast path's packets to.
     */
    public final byte[] ruleEffects;
    /** Per packet {@code i}: at {@code RULE_COUNTERS * i + k}, k below {@code ruleEffects[i]}, the k-th counted rule (the engine's global rule index). */
    public final int[] ruleCounters;
    /** {@link #ruleEffects}: a statement other than a verdict or a counter ran. */
    public static final byte RULES_BLOCK = -1;
    /** {@link #ruleEffects}: at most this many counters are remembered per packet; one more blocks. */
    public static final int RULE_COUNTERS = 2;
    /** The burst came from another worker that found this one owns its connections (NAT hand-off): never handed on. */
    public boolean handedIn;

    private int count;

    public PacketBurst(final Arena arena, final int capacity)
    {
        this.mbufs = new MbufBurst(arena, capacity);
        this.capacity = capacity;
        this.frame = new long[capacity];
        this.length = new int[capacity];
        this.l3 = new long[capacity];
        this.etherType = new int[capacity];
        this.inPort = new int[capacity];
        this.outPort = new int[capacity];
        this.nextHop = new int[capacity];
        this.flowHash = new int[capacity];
        this.verdict = new int[capacity];
        this.reason = new int[capacity];
        this.rxTsc = new long[capacity];
        this.ct = new int[capacity];
        this.ctinfo = new int[capacity];
        this.mark = new int[capacity];
        this.reject = new int[capacity];
        this.ruleEffects = new byte[capacity];
        this.ruleCounters = new int[RULE_COUNTERS * capacity];
    }

    public int count()
    {
        return count;
    }

    public void count(final int count)
    {
        this.count = count;
        mbufs.count(count);
    }

    public long mbuf(final int index)
    {
        return mbufs.mbuf(index);
    }
}
