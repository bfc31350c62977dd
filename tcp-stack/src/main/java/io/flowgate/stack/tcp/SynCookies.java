package io.flowgate.stack.tcp;

/**
 * SYN cookies as Linux builds them ({@code net/ipv4/syncookies.c}): the server's ISN encodes a keyed hash of the
 * 4-tuple, a minute counter and the MSS (an index into a small table), so that a listener whose SYN queue is
 * full answers a SYN without keeping state and rebuilds the connection from the final ACK. With timestamps the
 * low 6 bits of the SYN-ACK's TSval carry window scale and SACK (cookie_init_timestamp), so those options
 * survive. Keys are random per stack. Contract skeleton: built by the congestion-control/options part.
 */
public final class SynCookies
{
    /** Linux's msstab for IPv4: 536, 1300, 1440, 1460 (and 1220 first for IPv6). */
    public SynCookies(final long seed)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * The ISN for a SYN-ACK sent as a cookie: {@code peerIsn} is the SYN's sequence number, {@code mss} the
     * peer's MSS (rounded down to the table), {@code nowNs} gives the minute counter.
     */
    public int generate(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
                        final int dstPort, final int peerIsn, final int mss, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Checks the ACK that completes a cookie handshake: {@code cookie} is its ack number minus 1,
     * {@code peerIsn} its sequence number minus 1. Returns the MSS encoded (table value), or 0 when the cookie
     * is invalid or older than 2 minutes (the ACK is then answered as Linux does: dropped / reset by the caller).
     */
    public int check(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int srcPort,
                     final int dstPort, final int peerIsn, final int cookie, final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The SYN-ACK's TSval with window scale (0..14, or 15 for none) and SACK in its low 6 bits (cookie_init_timestamp). */
    public static int encodeTimestamp(final int tsVal, final int windowScale, final boolean sack)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The window scale encoded by {@link #encodeTimestamp} in a returned TSecr, or -1 for none. */
    public static int decodeWindowScale(final int tsEcr)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Whether SACK was encoded by {@link #encodeTimestamp}. */
    public static boolean decodeSack(final int tsEcr)
    {
        throw new UnsupportedOperationException("contract");
    }
}
