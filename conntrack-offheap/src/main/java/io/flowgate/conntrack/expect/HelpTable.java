package io.flowgate.conntrack.expect;

import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import java.util.Arrays;

/**
 * The extension of helped connections (Linux's {@code nf_conn_help} and {@code nf_conn_seqadj}), kept beside
 * the table so that the 128-byte record stays as it is: a bounded pool of slots, found by the connection's
 * record index through a small open-addressing map. Only connections with the {@code HELPER} status bit have
 * a slot; all others never look here.
 * <p>
 * A slot, 16 ints in one array:
 * <pre>
 *  0 record index (NONE: free)     1 helper ({@link #HELPER_FTP}, {@link #HELPER_TFTP})
 *  2 the record's generation       3 reserved
 *  4 seqadj[0].correction_pos      5 seqadj[0].offset_before   6 seqadj[0].offset_after
 *  7 seqadj[1].correction_pos      8 seqadj[1].offset_before   9 seqadj[1].offset_after
 * 10 helper word 0 ... 15 helper word 5 (FTP: seq_aft_nl[0][0..1], seq_aft_nl[1][0..1], counts, flags)
 * </pre>
 * Sequence numbers are unsigned 32-bit values held in ints; comparisons wrap ({@link #after}).
 * <p>
 * Thread-safety: the owning worker only.
 */
public final class HelpTable
{
    public static final int NONE = -1;

    public static final int HELPER_FTP = 1;
    public static final int HELPER_TFTP = 2;

    public static final int STRIDE = 16;
    public static final int INDEX = 0;
    public static final int HELPER = 1;
    public static final int GENERATION = 2;
    public static final int SEQADJ = 4;
    public static final int SEQADJ_SIZE = 3;
    public static final int CORRECTION_POS = 0;
    public static final int OFFSET_BEFORE = 1;
    public static final int OFFSET_AFTER = 2;
    /** First of the helper's six private words. */
    public static final int WORDS = 10;

    private final ConntrackTable table;
    private final int capacity;
    /** The slots, {@link #STRIDE} ints each; public for the helpers' and SeqAdjust's direct reads. */
    public final int[] slots;
    private final int[] map;
    private final int mapMask;
    private int freeHead;
    private int size;
    /** Helper assignments refused because the pool was full. */
    public long full;

    public HelpTable(final ConntrackTable table, final int capacity)
    {
        this.table = table;
        if (capacity < 1 || capacity > (1 << 24))
        {
            throw new IllegalArgumentException("help capacity out of 1..2^24: " + capacity);
        }
        this.capacity = capacity;
        this.slots = new int[capacity * STRIDE];
        final int mapSize = Integer.highestOneBit(capacity * 4 - 1) << 1;
        this.map = new int[mapSize];
        this.mapMask = mapSize - 1;
        Arrays.fill(map, NONE);
        for (int s = 0; s < capacity; s++)
        {
            slots[s * STRIDE + INDEX] = NONE;
            slots[s * STRIDE + WORDS] = s + 1 < capacity ? s + 1 : NONE; // free list through word 0
        }
        freeHead = 0;
    }

    public int size()
    {
        return size;
    }

    /** The slot base (offset into {@link #slots}) of record {@code index}, or {@link #NONE}. */
    public int find(final int index)
    {
        int i = spread(index);
        while (true)
        {
            final int s = map[i];
            if (s == NONE)
            {
                return NONE;
            }
            if (slots[s * STRIDE + INDEX] == index)
            {
                return slots[s * STRIDE + GENERATION] == table.generation(index) ? s * STRIDE : NONE;
            }
            i = (i + 1) & mapMask;
        }
    }

    /**
     * Gives record {@code index} a zeroed slot for {@code helper} (or returns the one it has). Returns the slot
     * base, or {@link #NONE} when the pool is full (counted; the connection then goes unhelped).
     */
    public int attach(final int index, final int helper)
    {
        final int existing = find(index);
        if (existing != NONE)
        {
            return existing;
        }
        release(index); // a slot left by an earlier connection in this record slot, if any
        if (freeHead == NONE)
        {
            reclaim();
            if (freeHead == NONE)
            {
                full++;
                return NONE;
            }
        }
        final int s = freeHead;
        final int base = s * STRIDE;
        freeHead = slots[base + WORDS];
        Arrays.fill(slots, base, base + STRIDE, 0);
        slots[base + INDEX] = index;
        slots[base + HELPER] = helper;
        slots[base + GENERATION] = table.generation(index);
        int i = spread(index);
        while (map[i] != NONE)
        {
            i = (i + 1) & mapMask;
        }
        map[i] = s;
        size++;
        return base;
    }

    /** Frees record {@code index}'s slot, if it has one. */
    public void release(final int index)
    {
        int i = spread(index);
        while (true)
        {
            final int s = map[i];
            if (s == NONE)
            {
                return;
            }
            if (slots[s * STRIDE + INDEX] == index)
            {
                break;
            }
            i = (i + 1) & mapMask;
        }
        final int s = map[i];
        slots[s * STRIDE + INDEX] = NONE;
        slots[s * STRIDE + WORDS] = freeHead;
        freeHead = s;
        size--;
        // backward-shift deletion: keep every later entry of the probe run reachable from its home
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & mapMask;
            final int t = map[j];
            if (t == NONE)
            {
                break;
            }
            final int home = spread(slots[t * STRIDE + INDEX]);
            if (((j - home) & mapMask) >= ((j - hole) & mapMask))
            {
                map[hole] = t;
                hole = j;
            }
        }
        map[hole] = NONE;
    }

    /**
     * Frees the slots of connections that went without telling (a new entry whose first packet was dropped
     * after its helper was attached): their record slot was reused (another generation) or is dying.
     */
    public int reclaim()
    {
        int freed = 0;
        for (int s = 0; s < capacity; s++)
        {
            final int base = s * STRIDE;
            final int index = slots[base + INDEX];
            if (index != NONE && (table.generation(index) != slots[base + GENERATION] ||
                (CtRecord.status(table.record(index)) & CtStatus.DYING) != 0))
            {
                release(index);
                freed++;
            }
        }
        return freed;
    }

    /**
     * {@code nf_ct_seqadj_set}: the helper changed the length of the segment starting at {@code seq} in
     * direction {@code dir} by {@code off}. A second change of the same segment (a retransmission rewritten
     * again) does not move the offset twice.
     */
    public void seqadjSet(final int base, final int dir, final int seq, final int off)
    {
        if (off == 0)
        {
            return;
        }
        final int w = base + SEQADJ + dir * SEQADJ_SIZE;
        if (slots[w + OFFSET_BEFORE] == slots[w + OFFSET_AFTER] || before(slots[w + CORRECTION_POS], seq))
        {
            slots[w + CORRECTION_POS] = seq;
            slots[w + OFFSET_BEFORE] = slots[w + OFFSET_AFTER];
            slots[w + OFFSET_AFTER] += off;
        }
    }

    /** {@code nf_ct_seq_offset}: the offset of direction {@code dir} that applies to sequence number {@code seq}. */
    public int seqOffset(final int base, final int dir, final int seq)
    {
        final int w = base + SEQADJ + dir * SEQADJ_SIZE;
        return after(seq, slots[w + CORRECTION_POS]) ? slots[w + OFFSET_AFTER] : slots[w + OFFSET_BEFORE];
    }

    /** {@code nf_ct_seqadj_init}: a fixed offset from the start (synproxy's use). */
    public void seqadjInit(final int base, final int dir, final int off)
    {
        final int w = base + SEQADJ + dir * SEQADJ_SIZE;
        slots[w + OFFSET_BEFORE] = off;
        slots[w + OFFSET_AFTER] = off;
    }

    /** {@code after(a, b)} of TCP: a is later than b, modulo 2^32. */
    public static boolean after(final int a, final int b)
    {
        return b - a < 0;
    }

    public static boolean before(final int a, final int b)
    {
        return a - b < 0;
    }

    private int spread(final int index)
    {
        final int h = index * 0x9E3779B1;
        return (h ^ (h >>> 16)) & mapMask;
    }
}
