package io.flowgate.stack.tcp;

import io.flowgate.stack.InetAddr;

/**
 * SYN cookies as Linux builds them ({@code net/ipv4/syncookies.c}): the server's ISN encodes a keyed hash of the
 * 4-tuple, a minute counter and the MSS (an index into a small table), so that a listener whose SYN queue is
 * full answers a SYN without keeping state and rebuilds the connection from the final ACK. With timestamps the
 * low 6 bits of the SYN-ACK's TSval carry window scale and SACK (cookie_init_timestamp), so those options
 * survive. Keys are random per stack.
 *
 * <pre>
 * cookie = H0(tuple) + peerIsn + (minute &lt;&lt; 24) + ((H1(tuple, minute) + mssIndex) &amp; 0xFFFFFF)
 * </pre>
 * H0 and H1 are SipHash-2-4 under two keys (Linux: siphash_4u32 under syncookie_secret[0/1]); the ACK is
 * accepted while the minute it carries is at most 1 old (MAX_SYNCOOKIE_AGE 2). Differs from Linux only in the
 * hash input (the full 128-bit addresses of both families under one scheme, where Linux has v4 and v6 variants)
 * and the clock (the stack's nanoseconds rather than jiffies). Single thread (the stack's).
 */
public final class SynCookies
{
    /** Linux's msstab (tcp_ipv4.c / syncookies.c). */
    static final int[] MSS_V4 = {536, 1300, 1440, 1460};
    /** Linux's msstab for IPv6 (net/ipv6/syncookies.c): 1280-60, 1480-60, 1500-60, 9000-60. */
    static final int[] MSS_V6 = {1220, 1420, 1440, 8940};

    static final int COOKIE_BITS = 24;
    static final int COOKIE_MASK = (1 << COOKIE_BITS) - 1;
    static final int MAX_AGE_MINUTES = 2;
    private static final long NS_PER_MINUTE = 60_000_000_000L;

    /** cookie_init_timestamp: the TSval's low 6 bits: window scale (4 bits, 15 = none), SACK, ECN. */
    static final int TS_BITS = 6;
    static final int TS_MASK = (1 << TS_BITS) - 1;
    static final int TS_WSCALE_MASK = 0x0F;
    static final int TS_SACK = 1 << 4;

    private final long key00;
    private final long key01;
    private final long key10;
    private final long key11;
    private final SipHash hash = new SipHash();

    /** Linux's msstab for IPv4: 536, 1300, 1440, 1460 (and 1220, 1420, 1440, 8940 for IPv6). */
    public SynCookies(final long seed)
    {
        key00 = SipHash.mix(seed ^ 0x5C00C1E5L);
        key01 = SipHash.mix(key00);
        key10 = SipHash.mix(key01);
        key11 = SipHash.mix(key10);
    }

    private long cookieHash(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
                            final int dstPort, final int count, final boolean second)
    {
        if (second)
        {
            hash.init(key10, key11);
        }
        else
        {
            hash.init(key00, key01);
        }
        hash.word(srcHi);
        hash.word(srcLo);
        hash.word(dstHi);
        hash.word(dstLo);
        hash.word(((long)(((srcPort & 0xFFFF) << 16) | (dstPort & 0xFFFF)) << 32) | (count & 0xFFFF_FFFFL));
        return hash.finish(5);
    }

    private static int[] table(final long srcHi, final long srcLo)
    {
        return InetAddr.isV4(srcHi, srcLo) ? MSS_V4 : MSS_V6;
    }

    /** The MSS that a cookie for this peer MSS carries (the largest table entry not above it, else the first). */
    public static int encodedMss(final long srcHi, final long srcLo, final int mss)
    {
        final int[] tab = table(srcHi, srcLo);
        return tab[index(tab, mss)];
    }

    private static int index(final int[] tab, final int mss)
    {
        int i = tab.length - 1;
        while (i > 0 && mss < tab[i])
        {
            i--;
        }
        return i;
    }

    private static int minute(final long nowNs)
    {
        return (int)(nowNs / NS_PER_MINUTE);
    }

    /**
     * The ISN for a SYN-ACK sent as a cookie: {@code peerIsn} is the SYN's sequence number, {@code mss} the
     * peer's MSS (rounded down to the table), {@code nowNs} gives the minute counter. The tuple is the SYN's
     * (src = the peer).
     */
    public int generate(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
                        final int dstPort, final int peerIsn, final int mss, final long nowNs)
    {
        final int count = minute(nowNs);
        final int data = index(table(srcHi, srcLo), mss);
        final int h0 = (int)cookieHash(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, 0, false);
        final int h1 = (int)cookieHash(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, count, true);
        return h0 + peerIsn + (count << COOKIE_BITS) + ((h1 + data) & COOKIE_MASK);
    }

    /**
     * Checks the ACK that completes a cookie handshake: {@code cookie} is its ack number minus 1,
     * {@code peerIsn} its sequence number minus 1. Returns the MSS encoded (table value), or 0 when the cookie
     * is invalid or older than 2 minutes (the ACK is then answered as Linux does: dropped / reset by the caller).
     */
    public int check(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
                     final int dstPort, final int peerIsn, final int cookie, final long nowNs)
    {
        final int count = minute(nowNs);
        final int h0 = (int)cookieHash(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, 0, false);
        final int c = cookie - (h0 + peerIsn);
        final int diff = (count - (c >>> COOKIE_BITS)) & (-1 >>> COOKIE_BITS);
        if (diff >= MAX_AGE_MINUTES)
        {
            return 0;
        }
        final int h1 = (int)cookieHash(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, count - diff, true);
        final int index = (c - h1) & COOKIE_MASK;
        final int[] tab = table(srcHi, srcLo);
        return index < tab.length ? tab[index] : 0;
    }

    /**
     * The SYN-ACK's TSval with the peer's window scale (0..14, or 15 / negative for none) and SACK in its low 6 bits
     * (cookie_init_timestamp: the SYN's shift, which is otherwise lost; our own is recomputed on the ACK).
     */
    public static int encodeTimestamp(final int tsVal, final int windowScale, final boolean sack)
    {
        int options = windowScale < 0 || windowScale > TcpOptions.MAX_WINDOW_SCALE ? TS_WSCALE_MASK : windowScale;
        if (sack)
        {
            options |= TS_SACK;
        }
        int ts = (tsVal & ~TS_MASK) | options;
        if (ts - tsVal > 0)
        {
            ts -= TS_MASK + 1;
        }
        return ts;
    }

    /** The window scale encoded by {@link #encodeTimestamp} in a returned TSecr, or -1 for none. */
    public static int decodeWindowScale(final int tsEcr)
    {
        final int ws = tsEcr & TS_WSCALE_MASK;
        return ws == TS_WSCALE_MASK ? -1 : ws;
    }

    /** Whether SACK was encoded by {@link #encodeTimestamp}. */
    public static boolean decodeSack(final int tsEcr)
    {
        return (tsEcr & TS_SACK) != 0;
    }
}
