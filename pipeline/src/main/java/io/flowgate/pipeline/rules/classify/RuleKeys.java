package io.flowgate.pipeline.rules.classify;

/**
 * The values every {@link io.flowgate.pipeline.rules.model.Field} takes for each packet of a burst, structure of
 * arrays indexed like the burst: what the classifier reads. The runtime's extractor fills them at each hook (one
 * pass over the burst); statements that change a mutable field ({@code meta mark set}, {@code ct mark set})
 * write the new value here too, so that the rest of the chain sees it.
 * <p>
 * Absent fields: {@link #ABSENT} (-1) in {@link #sport}/{@link #dport} (not TCP or UDP, a non-first fragment, a
 * truncated header), {@link #tcpFlags} (not TCP), {@link #icmpType} (not ICMP/ICMPv6), {@link #iif}/{@link #oif}
 * (no such interface yet, e.g. oif at PREROUTING). Addresses are valid for the packet's family only
 * ({@link #nfproto} 4: {@link #saddr}/{@link #daddr}; 6: the 128-bit pairs). {@link #l4proto} is the transport
 * protocol (IPv4's protocol field, IPv6's after extension headers).
 * <p>
 * Thread-safety: one per worker (and per hook handler), never shared.
 */
public final class RuleKeys
{
    public static final int ABSENT = -1;
    public static final int NFPROTO_IPV4 = 2;   // NFPROTO_IPV4, as nft's meta nfproto
    public static final int NFPROTO_IPV6 = 10;  // NFPROTO_IPV6

    public final int capacity;
    public final int[] nfproto;
    public final int[] iif;
    public final int[] oif;
    public final int[] l4proto;
    public final int[] saddr;
    public final int[] daddr;
    public final long[] saddr6Hi;
    public final long[] saddr6Lo;
    public final long[] daddr6Hi;
    public final long[] daddr6Lo;
    public final int[] sport;
    public final int[] dport;
    public final int[] tcpFlags;
    public final int[] icmpType;
    /** nft's ct state bit: invalid 1, established 2, related 4, new 8, untracked 64. */
    public final int[] ctState;
    public final int[] ctStatus;
    public final int[] ctMark;
    public final int[] metaMark;
    /** Length from the network header on (nft's {@code meta length} at the inet hooks). */
    public final int[] length;

    /**
     * The classifier's per-packet work space (row offsets per field while a burst is classified). Sized by
     * {@link ChainClassifier} the first time a ruleset needs more than it has, then reused: no allocation in steady
     * state.
     */
    public int[] classifierScratch = new int[0];
    /** The classifier's first aggregate word per packet of a burst (capacity entries). */
    public final long[] classifierAggregate;

    public RuleKeys(final int capacity)
    {
        this.capacity = capacity;
        nfproto = new int[capacity];
        iif = new int[capacity];
        oif = new int[capacity];
        l4proto = new int[capacity];
        saddr = new int[capacity];
        daddr = new int[capacity];
        saddr6Hi = new long[capacity];
        saddr6Lo = new long[capacity];
        daddr6Hi = new long[capacity];
        daddr6Lo = new long[capacity];
        sport = new int[capacity];
        dport = new int[capacity];
        tcpFlags = new int[capacity];
        icmpType = new int[capacity];
        ctState = new int[capacity];
        ctStatus = new int[capacity];
        ctMark = new int[capacity];
        metaMark = new int[capacity];
        length = new int[capacity];
        classifierAggregate = new long[capacity];
    }
}
