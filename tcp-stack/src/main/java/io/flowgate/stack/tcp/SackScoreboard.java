package io.flowgate.stack.tcp;

/**
 * The sender's SACK scoreboard (RFC 6675 section 4 and 5): which bytes above snd_una the receiver holds (from
 * SACK blocks, RFC 2018) and which the sender has retransmitted, as a fixed-capacity sorted list of ranges in
 * sequence space (32-bit wraparound compares). Gives IsLost, NextSeg and SetPipe, so the connection runs
 * RFC 6675 loss recovery. No allocation.
 *
 * <pre>
 *  sndUna     hole 0      range 0      hole 1    range 1           hole n (above every SACK)   sndNxt
 *    |-----------------[#########)-----------[#######)-----------------------------------------|
 * </pre>
 * All octets of one hole have the same SACKed octets above them, so IsLost is decided per hole
 * (RFC 6675 section 4: more than (DupThresh-1)*SMSS bytes, or DupThresh segments, SACKed above; segments
 * counted as ceil(bytes/SMSS) per range). Retransmissions are tracked as RFC 6675's HighRxt: everything in
 * [sndUna, highRxt) counts as retransmitted once more in SetPipe. Sequences are returned from
 * {@link #nextSegment} as unsigned longs, so that -1 means none.
 */
public final class SackScoreboard
{
    private final int capacity;
    private final int[] start;
    private final int[] end;
    private int count;
    private int base;
    private boolean retransmitted;
    private int rxtEnd;

    /** @param maxRanges ranges held (older, lower ranges are merged or dropped past it: the scoreboard stays conservative) */
    public SackScoreboard(final int maxRanges)
    {
        if (maxRanges < 1)
        {
            throw new IllegalArgumentException("maxRanges " + maxRanges);
        }
        capacity = maxRanges;
        start = new int[maxRanges];
        end = new int[maxRanges];
    }

    /** Forgets everything (connection start, or after an RTO when RFC 6675 section 5.1 says so). */
    public void clear()
    {
        count = 0;
        retransmitted = false;
    }

    /**
     * An ACK with cumulative ack {@code sndUna} and {@code blocks} SACK blocks [left, right): drops what is below
     * sndUna, records the blocks (ignoring D-SACKs and blocks outside (sndUna, sndNxt]). Returns the bytes newly
     * SACKed by this ACK.
     */
    public int update(final int sndUna, final int sndNxt, final int[] left, final int[] right, final int blocks)
    {
        advance(sndUna);
        int newly = 0;
        for (int b = 0; b < blocks; b++)
        {
            final int l = left[b];
            final int r = right[b];
            if (r - l <= 0 || l - sndUna < 0 || r - sndNxt > 0)
            {
                continue;
            }
            newly += insert(l - sndUna, r - sndUna);
        }
        return newly;
    }

    private void advance(final int sndUna)
    {
        int drop = 0;
        while (drop < count && end[drop] - sndUna <= 0)
        {
            drop++;
        }
        if (drop > 0)
        {
            removeRanges(0, drop);
        }
        if (count > 0 && start[0] - sndUna < 0)
        {
            start[0] = sndUna;
        }
        if (retransmitted && rxtEnd - sndUna <= 0)
        {
            retransmitted = false;
        }
        base = sndUna;
    }

    private void removeRanges(final int from, final int n)
    {
        System.arraycopy(start, from + n, start, from, count - from - n);
        System.arraycopy(end, from + n, end, from, count - from - n);
        count -= n;
    }

    /** Merges [ol, or) (offsets from base) into the ranges; returns the bytes not already held. */
    private int insert(final int ol, final int or)
    {
        final int b = base;
        int i = 0;
        while (i < count && end[i] - b < ol)
        {
            i++;
        }
        int j = i;
        int covered = 0;
        while (j < count && start[j] - b <= or)
        {
            final int overlap = Math.min(or, end[j] - b) - Math.max(ol, start[j] - b);
            if (overlap > 0)
            {
                covered += overlap;
            }
            j++;
        }
        // ranges i .. j-1 touch the block
        if (j == i)
        {
            if (count == capacity)
            {
                if (i == 0)
                {
                    return or - ol; // NOTE: the block is below every range held: not recorded (conservative)
                }
                removeRanges(0, 1);
                i--;
            }
            System.arraycopy(start, i, start, i + 1, count - i);
            System.arraycopy(end, i, end, i + 1, count - i);
            start[i] = b + ol;
            end[i] = b + or;
            count++;
        }
        else
        {
            if (start[i] - b > ol)
            {
                start[i] = b + ol;
            }
            end[i] = end[j - 1] - b > or ? end[j - 1] : b + or;
            if (j - i > 1)
            {
                removeRanges(i + 1, j - i - 1);
            }
        }
        return or - ol - covered;
    }

    /** True when {@code seq} is inside a SACKed range. */
    public boolean isSacked(final int seq)
    {
        final int off = seq - base;
        for (int i = 0; i < count; i++)
        {
            if (off >= start[i] - base && off < end[i] - base)
            {
                return true;
            }
        }
        return false;
    }

    /** Bytes SACKed above snd_una. */
    public int sackedBytes()
    {
        int sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += end[i] - start[i];
        }
        return sum;
    }

    /** The highest SACKed sequence (right edge of the top range), or sndUna when nothing is SACKed. */
    public int highestSacked(final int sndUna)
    {
        return count == 0 ? sndUna : end[count - 1];
    }

    /** RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or more than (DupThresh-1)*SMSS bytes SACKed, above seq. */
    public boolean isLost(final int seq, final int smss, final int dupThresh)
    {
        final int off = seq - base;
        long bytes = 0;
        int segments = 0;
        for (int i = count - 1; i >= 0; i--)
        {
            final int e = end[i] - base;
            if (e <= off + 1)
            {
                break;
            }
            final int portion = e - Math.max(start[i] - base, off + 1);
            bytes += portion;
            segments += (portion + smss - 1) / smss;
        }
        return lost(bytes, segments, smss, dupThresh);
    }

    private static boolean lost(final long bytes, final int segments, final int smss, final int dupThresh)
    {
        return segments >= dupThresh || bytes > (long)(dupThresh - 1) * smss;
    }

    /** Marks [seq, seq+length) retransmitted (for SetPipe), at HighRxt. */
    public void markRetransmitted(final int seq, final int length)
    {
        final int e = seq + length;
        if (!retransmitted || e - rxtEnd > 0)
        {
            rxtEnd = e;
            retransmitted = true;
        }
    }

    /** RFC 6675 SetPipe: octets in flight between sndUna and sndNxt (HighData), counting retransmissions. */
    public int pipe(final int sndUna, final int sndNxt, final int smss, final int dupThresh)
    {
        final int top = sndNxt - sndUna;
        final int rx = retransmitted ? Math.max(rxtEnd - sndUna, 0) : 0;
        long pipe = 0;
        long bytesAbove = 0;
        int segmentsAbove = 0;
        int holeEnd = top;
        // holes from the top down: hole k lies below range k (k == count: above every range)
        for (int k = count; k >= 0; k--)
        {
            final int holeStart = k == 0 ? 0 : Math.max(end[k - 1] - sndUna, 0);
            final int he = Math.min(holeEnd, top);
            if (he > holeStart)
            {
                if (!lost(bytesAbove, segmentsAbove, smss, dupThresh))
                {
                    pipe += he - holeStart;
                }
                final int rxInHole = Math.min(he, rx) - holeStart;
                if (rxInHole > 0)
                {
                    pipe += rxInHole;
                }
            }
            if (k > 0)
            {
                final int len = end[k - 1] - start[k - 1];
                bytesAbove += len;
                segmentsAbove += (len + smss - 1) / smss;
                holeEnd = start[k - 1] - sndUna;
            }
        }
        return (int)Math.min(pipe, Integer.MAX_VALUE);
    }

    /**
     * RFC 6675 NextSeg(): the first sequence to send, by its rules 1 (lost, not SACKed, not yet retransmitted,
     * above highRxt), 2 (new data: returns sndNxt when {@code newDataAvailable}), 3 (rule 3's rescue candidate);
     * -1 (as a long) when none. Returns a long so that -1 is distinct from every sequence number.
     * {@code highRxt} is the first octet not yet retransmitted in this recovery (sndUna when none).
     */
    public long nextSegment(final int sndUna, final int sndNxt, final int highRxt, final int smss, final int dupThresh,
                            final boolean newDataAvailable)
    {
        final int from = Math.max(highRxt - sndUna, 0);
        int k = 0;
        int candidate = -1;
        while (k < count)
        {
            final int holeStart = k == 0 ? 0 : end[k - 1] - sndUna;
            final int holeEnd = start[k] - sndUna;
            if (holeEnd > from && holeEnd > holeStart)
            {
                candidate = Math.max(holeStart, from);
                break;
            }
            k++;
        }
        if (candidate >= 0)
        {
            long bytes = 0;
            int segments = 0;
            for (int i = k; i < count; i++)
            {
                final int len = end[i] - start[i];
                bytes += len;
                segments += (len + smss - 1) / smss;
            }
            if (lost(bytes, segments, smss, dupThresh))
            {
                return (sndUna + candidate) & 0xFFFF_FFFFL;
            }
        }
        if (newDataAvailable)
        {
            return sndNxt & 0xFFFF_FFFFL;
        }
        return candidate >= 0 ? (sndUna + candidate) & 0xFFFF_FFFFL : -1L;
    }

    /**
     * Up to {@code max} of the receiver-side SACK blocks to send are NOT kept here: the receiver side (out-of-order
     * data held by the connection) builds its own blocks. This class is the sender side only.
     * Returns the number of SACKed ranges held.
     */
    public int ranges()
    {
        return count;
    }

    /** The left edge of range {@code i} (0 = lowest). */
    public int rangeStart(final int i)
    {
        return start[i];
    }

    /** The right edge (exclusive) of range {@code i}. */
    public int rangeEnd(final int i)
    {
        return end[i];
    }
}
