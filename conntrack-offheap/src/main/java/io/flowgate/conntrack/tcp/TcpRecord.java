package io.flowgate.conntrack.tcp;

import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.OffHeap;

/**
 * The TCP tracker's per-connection state, Linux's {@code struct ip_ct_tcp}, packed into the record's 48-byte
 * protocol area ({@link CtRecord#PROTO_OFFSET}). Offsets below are relative to the protocol area; all
 * accessors take the record's address.
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------+---------------+-------------------------------+
 *  0|  state (u8)   | retrans (u8)  |  bits (low half)              |
 *   +---------------+---------------+-------------------------------+
 *  4|  bits (high half)             |  last_win (u16)               |
 *   +-------------------------------+-------------------------------+
 *  8|  last_end                                                     |
 * 12|  last_mix = last_ack + (last_end - last_seq) * MIX_K           |
 *   +---------------------------------------------------------------+
 * 16|  seen[0].td_end   (original direction)                        |
 * 20|  seen[0].td_maxend                                            |
 * 24|  seen[0].td_maxwin                                            |
 * 28|  seen[0].td_maxack                                            |
 * 32|  seen[1].td_end   (reply direction)                           |
 * 36|  seen[1].td_maxend                                            |
 * 40|  seen[1].td_maxwin                                            |
 * 44|  seen[1].td_maxack                                            |
 *   +---------------------------------------------------------------+
 *
 * bits (32, unaligned at 2):
 *   0..5   seen[0].flags (Linux IP_CT_TCP_FLAG_* values 0x01..0x20)
 *   6..11  seen[1].flags
 *  12..15  seen[0].td_scale        16..19  seen[1].td_scale
 *  20..23  last_wscale             24..26  last_index (tcp_bit_set)
 *  27      last_dir                28..31  last_flags: WINDOW_SCALE, SACK_PERM, EXP_CHALLENGE_ACK, SIMULTANEOUS_OPEN
 * </pre>
 * Linux's struct needs 56 bytes; two things are folded to fit 48, both documented where they matter:
 * <ul>
 * <li>{@code last_seq} and {@code last_ack} are read only for equality (retransmission detection, with
 * last_end and last_win compared exactly beside them) and {@code last_ack} once more for the RST answering
 * a challenge ACK. They are kept as one word, {@code last_ack + (last_end - last_seq) * MIX_K}: with last_end
 * exact this equals Linux's pair-equality unless two segments with the same end, window and direction differ
 * in both ack and length by the exact ratio MIX_K (never seen in practice); for a zero-length segment
 * (every challenge ACK) the word is last_ack itself, so the challenge-RST check is exact.</li>
 * <li>seen[].flags keep the six flags Linux defines for them; the SIMULTANEOUS_OPEN bit Linux can copy into
 * seen[].flags when re-syncing from an ignored SYN (nothing reads it there) is dropped.</li>
 * </ul>
 * Thread-safety: owned by the record's worker; readers copy under the record's seqlock.
 */
public final class TcpRecord
{
    public static final int STATE_OFFSET = CtRecord.TCP_STATE_OFFSET;
    public static final int RETRANS_OFFSET = CtRecord.PROTO_OFFSET + 1;
    public static final int BITS_OFFSET = CtRecord.PROTO_OFFSET + 2;
    public static final int LAST_WIN_OFFSET = CtRecord.PROTO_OFFSET + 6;
    public static final int LAST_END_OFFSET = CtRecord.PROTO_OFFSET + 8;
    public static final int LAST_MIX_OFFSET = CtRecord.PROTO_OFFSET + 12;
    /** seen[dir] starts at SEEN_OFFSET + dir * SEEN_SIZE. */
    public static final int SEEN_OFFSET = CtRecord.PROTO_OFFSET + 16;
    public static final int SEEN_SIZE = 16;
    public static final int TD_END = 0;
    public static final int TD_MAXEND = 4;
    public static final int TD_MAXWIN = 8;
    public static final int TD_MAXACK = 12;

    /** Linux's IP_CT_TCP_FLAG_* (include/uapi/linux/netfilter/nf_conntrack_tcp.h) and the two last_flags extras. */
    public static final int FLAG_WINDOW_SCALE = 0x01;
    public static final int FLAG_SACK_PERM = 0x02;
    public static final int FLAG_CLOSE_INIT = 0x04;
    public static final int FLAG_BE_LIBERAL = 0x08;
    public static final int FLAG_DATA_UNACKNOWLEDGED = 0x10;
    public static final int FLAG_MAXACK_SET = 0x20;
    public static final int EXP_CHALLENGE_ACK = 0x40;
    public static final int SIMULTANEOUS_OPEN = 0x80;

    /** Odd multiplier folding the segment length into last_mix (golden ratio, 32 bits). */
    public static final int MIX_K = 0x9E3779B1;

    private static final int SEEN_FLAGS_MASK = 0x3F;
    private static final int SCALE_SHIFT = 12;
    private static final int LAST_WSCALE_SHIFT = 20;
    private static final int LAST_INDEX_SHIFT = 24;
    private static final int LAST_DIR_SHIFT = 27;
    private static final int LAST_FLAGS_SHIFT = 28;

    private TcpRecord()
    {
    }

    /** Zeroes the whole protocol area (Linux's memset of ct->proto.tcp). */
    public static void clear(final long record)
    {
        OffHeap.fill(record + CtRecord.PROTO_OFFSET, CtRecord.PROTO_SIZE, (byte)0);
    }

    public static int state(final long record)
    {
        return OffHeap.getUnsignedByte(record + STATE_OFFSET);
    }

    public static void state(final long record, final int state)
    {
        OffHeap.putByte(record + STATE_OFFSET, state);
    }

    public static int retrans(final long record)
    {
        return OffHeap.getUnsignedByte(record + RETRANS_OFFSET);
    }

    public static void retrans(final long record, final int retrans)
    {
        OffHeap.putByte(record + RETRANS_OFFSET, retrans);
    }

    private static int bits(final long record)
    {
        return OffHeap.getInt(record + BITS_OFFSET);
    }

    private static void bits(final long record, final int bits)
    {
        OffHeap.putInt(record + BITS_OFFSET, bits);
    }

    public static int flags(final long record, final int dir)
    {
        return (bits(record) >>> (dir * 6)) & SEEN_FLAGS_MASK;
    }

    public static void flags(final long record, final int dir, final int flags)
    {
        final int shift = dir * 6;
        bits(record, (bits(record) & ~(SEEN_FLAGS_MASK << shift)) | ((flags & SEEN_FLAGS_MASK) << shift));
    }

    public static int scale(final long record, final int dir)
    {
        return (bits(record) >>> (SCALE_SHIFT + dir * 4)) & 0xF;
    }

    public static void scale(final long record, final int dir, final int scale)
    {
        final int shift = SCALE_SHIFT + dir * 4;
        bits(record, (bits(record) & ~(0xF << shift)) | ((scale & 0xF) << shift));
    }

    public static int lastWscale(final long record)
    {
        return (bits(record) >>> LAST_WSCALE_SHIFT) & 0xF;
    }

    public static void lastWscale(final long record, final int scale)
    {
        bits(record, (bits(record) & ~(0xF << LAST_WSCALE_SHIFT)) | ((scale & 0xF) << LAST_WSCALE_SHIFT));
    }

    public static int lastIndex(final long record)
    {
        return (bits(record) >>> LAST_INDEX_SHIFT) & 0x7;
    }

    public static void lastIndex(final long record, final int index)
    {
        bits(record, (bits(record) & ~(0x7 << LAST_INDEX_SHIFT)) | ((index & 0x7) << LAST_INDEX_SHIFT));
    }

    public static int lastDir(final long record)
    {
        return (bits(record) >>> LAST_DIR_SHIFT) & 0x1;
    }

    public static void lastDir(final long record, final int dir)
    {
        bits(record, (bits(record) & ~(1 << LAST_DIR_SHIFT)) | ((dir & 1) << LAST_DIR_SHIFT));
    }

    /** last_flags in Linux's bit values (WINDOW_SCALE, SACK_PERM, EXP_CHALLENGE_ACK, SIMULTANEOUS_OPEN). */
    public static int lastFlags(final long record)
    {
        final int packed = (bits(record) >>> LAST_FLAGS_SHIFT) & 0xF;
        return (packed & 0x3) | ((packed & 0xC) << 4);
    }

    public static void lastFlags(final long record, final int flags)
    {
        final int packed = (flags & 0x3) | ((flags >>> 4) & 0xC);
        bits(record, (bits(record) & ~(0xF << LAST_FLAGS_SHIFT)) | (packed << LAST_FLAGS_SHIFT));
    }

    public static int lastWin(final long record)
    {
        return OffHeap.getUnsignedShort(record + LAST_WIN_OFFSET);
    }

    public static void lastWin(final long record, final int win)
    {
        OffHeap.putShort(record + LAST_WIN_OFFSET, win);
    }

    public static int lastEnd(final long record)
    {
        return OffHeap.getInt(record + LAST_END_OFFSET);
    }

    public static void lastEnd(final long record, final int end)
    {
        OffHeap.putInt(record + LAST_END_OFFSET, end);
    }

    public static int lastMix(final long record)
    {
        return OffHeap.getInt(record + LAST_MIX_OFFSET);
    }

    public static void lastMix(final long record, final int mix)
    {
        OffHeap.putInt(record + LAST_MIX_OFFSET, mix);
    }

    /** The folded (last_seq, last_ack) word for a segment [seq, end) acknowledging ack. */
    public static int mix(final int seq, final int ack, final int end)
    {
        return ack + (end - seq) * MIX_K;
    }

    public static int tdEnd(final long record, final int dir)
    {
        return OffHeap.getInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_END);
    }

    public static void tdEnd(final long record, final int dir, final int value)
    {
        OffHeap.putInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_END, value);
    }

    public static int tdMaxEnd(final long record, final int dir)
    {
        return OffHeap.getInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_MAXEND);
    }

    public static void tdMaxEnd(final long record, final int dir, final int value)
    {
        OffHeap.putInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_MAXEND, value);
    }

    public static int tdMaxWin(final long record, final int dir)
    {
        return OffHeap.getInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_MAXWIN);
    }

    public static void tdMaxWin(final long record, final int dir, final int value)
    {
        OffHeap.putInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_MAXWIN, value);
    }

    public static int tdMaxAck(final long record, final int dir)
    {
        return OffHeap.getInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_MAXACK);
    }

    public static void tdMaxAck(final long record, final int dir, final int value)
    {
        OffHeap.putInt(record + SEEN_OFFSET + dir * SEEN_SIZE + TD_MAXACK, value);
    }
}
