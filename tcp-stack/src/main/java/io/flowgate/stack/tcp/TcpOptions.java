package io.flowgate.stack.tcp;

/**
 * A segment's TCP options, parsed into reusable fields (one instance per stack, reused for every segment), and
 * the writers for the options the stack sends, in Linux's layout so that captures look like Linux's:
 * SYN / SYN-ACK {@code MSS, SACK_PERM, TS, NOP, WS} (with timestamps: MSS(4) SACKOK+TS(12) NOP WS(4)), data and
 * ACK segments {@code NOP NOP TS} followed by {@code NOP NOP SACK(n blocks)}. Contract skeleton: built by the
 * congestion-control/options part.
 */
public final class TcpOptions
{
    /** RFC 2018: at most 4 blocks fit, 3 with timestamps. */
    public static final int MAX_SACK_BLOCKS = 4;

    /** Values of {@link #mss} etc. when the option is absent. */
    public static final int ABSENT = -1;

    public int mss = ABSENT;
    /** The peer's shift count (0..14, clamped as RFC 7323 2.3 says), or ABSENT. */
    public int windowScale = ABSENT;
    public boolean sackPermitted;
    public boolean hasTimestamp;
    public int tsVal;
    public int tsEcr;
    public int sackBlocks;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];

    /**
     * Parses the options of the TCP header at {@code tcp} (header length from its data offset; {@code syn} says
     * whether MSS/WS/SACK_PERM count, as they are only valid on SYN). Returns false when the option list is
     * malformed (a length that runs past the header, a length of 0/1): the segment is then dropped, as Linux's
     * tcp_parse_options stops at such an option.
     */
    public boolean parse(final long tcp, final boolean syn)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Writes SYN or SYN-ACK options at {@code at}: MSS always, SACK_PERM when {@code sack}, TS when
     * {@code timestamps} (tsEcr 0 on a SYN), WS when {@code windowScale} ≥ 0. Returns the bytes written (a multiple of 4).
     */
    public static int writeSyn(final long at, final int mss, final boolean sack, final boolean timestamps, final int tsVal,
                               final int tsEcr, final int windowScale)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Writes the options of a non-SYN segment: NOP NOP TS when {@code timestamps}, then up to
     * {@code blocks} SACK blocks (3 with timestamps, 4 without) from the arrays. Returns the bytes written.
     */
    public static int write(final long at, final boolean timestamps, final int tsVal, final int tsEcr, final int[] sackLeft,
                            final int[] sackRight, final int blocks)
    {
        throw new UnsupportedOperationException("contract");
    }
}
