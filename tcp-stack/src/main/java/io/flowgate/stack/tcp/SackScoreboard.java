package io.flowgate.stack.tcp;

/**
 * The sender's SACK scoreboard (RFC 6675 section 4 and 5): which bytes above snd_una the receiver holds (from
 * SACK blocks, RFC 2018) and which the sender has retransmitted, as a fixed-capacity sorted list of ranges in
 * sequence space (32-bit wraparound compares). Gives IsLost, NextSeg and SetPipe, so the connection runs
 * RFC 6675 loss recovery. No allocation. Contract skeleton: built by the congestion-control/options part.
 */
public final class SackScoreboard
{
    /** @param maxRanges ranges held (older, lower ranges are merged or dropped past it: the scoreboard stays conservative) */
    public SackScoreboard(final int maxRanges)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Forgets everything (connection start, or after an RTO when RFC 6675 section 5.1 says so). */
    public void clear()
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * An ACK with cumulative ack {@code sndUna} and {@code blocks} SACK blocks [left, right): drops what is below
     * sndUna, records the blocks (ignoring D-SACKs and blocks outside (sndUna, sndNxt]). Returns the bytes newly
     * SACKed by this ACK.
     */
    public int update(final int sndUna, final int sndNxt, final int[] left, final int[] right, final int blocks)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** True when {@code seq} is inside a SACKed range. */
    public boolean isSacked(final int seq)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Bytes SACKed above snd_una. */
    public int sackedBytes()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The highest SACKed sequence (right edge of the top range), or sndUna when nothing is SACKed. */
    public int highestSacked(final int sndUna)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or more than (DupThresh-1)*SMSS bytes SACKed, above seq. */
    public boolean isLost(final int seq, final int smss, final int dupThresh)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Marks [seq, seq+length) retransmitted (for SetPipe), at HighRxt. */
    public void markRetransmitted(final int seq, final int length)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** RFC 6675 SetPipe: octets in flight between sndUna and sndNxt (HighData), counting retransmissions. */
    public int pipe(final int sndUna, final int sndNxt, final int smss, final int dupThresh)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * RFC 6675 NextSeg(): the first sequence to send, by its rules 1 (lost, not SACKed, not yet retransmitted,
     * above highRxt), 2 (new data: returns sndNxt when {@code newDataAvailable}), 3 (rule 3's rescue candidate);
     * -1 (as a long) when none. Returns a long so that -1 is distinct from every sequence number.
     */
    public long nextSegment(final int sndUna, final int sndNxt, final int highRxt, final int smss, final int dupThresh,
                            final boolean newDataAvailable)
    {
        throw new UnsupportedOperationException("contract");
    }

    /**
     * Up to {@code max} of the receiver-side SACK blocks to send are NOT kept here: the receiver side (out-of-order
     * data held by the connection) builds its own blocks. This class is the sender side only.
     */
    public int ranges()
    {
        throw new UnsupportedOperationException("contract");
    }
}
