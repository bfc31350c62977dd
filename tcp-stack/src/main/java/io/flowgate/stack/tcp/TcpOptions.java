package io.flowgate.stack.tcp;

import io.flowgate.nativebindings.Memory;

/**
 * A segment's TCP options, parsed into reusable fields (one instance per stack, reused for every segment), and
 * the writers for the options the stack sends, in Linux's layout so that captures look like Linux's:
 * SYN / SYN-ACK {@code MSS, SACK_PERM, TS, NOP, WS} (with timestamps: MSS(4) SACKOK+TS(12) NOP WS(4)), data and
 * ACK segments {@code NOP NOP TS} followed by {@code NOP NOP SACK(n blocks)}.
 *
 * <pre>
 * SYN with everything (20 bytes, as tcp_options_write):
 *  +------+------+-------------+------+------+------+------+---- TSval ----+---- TSecr ----+------+------+------+------+
 *  | 2    | 4    | MSS (BE16)  | 4    | 2    | 8    | 10   |    BE32       |    BE32       | 1    | 3    | 3    | ws   |
 *  +------+------+-------------+------+------+------+------+---------------+---------------+------+------+------+------+
 *  without SACK: NOP NOP TS;  SACK without TS: NOP NOP SACK_PERM.
 * data: NOP NOP TS(10)  NOP NOP SACK(2 + 8n)
 * </pre>
 */
public final class TcpOptions
{
    /** RFC 2018: at most 4 blocks fit, 3 with timestamps. */
    public static final int MAX_SACK_BLOCKS = 4;

    /** Values of {@link #mss} etc. when the option is absent. */
    public static final int ABSENT = -1;

    /** RFC 7323 section 2.3: shift counts above 14 are used as 14. */
    public static final int MAX_WINDOW_SCALE = 14;

    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WS = 3;
    public static final int KIND_SACK_PERM = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TS = 8;

    private static final int TCP_DATA_OFFSET = 12;
    private static final int TCP_HEADER_MIN = 20;

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

    /** Resets every field to "absent". */
    public void clear()
    {
        mss = ABSENT;
        windowScale = ABSENT;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlocks = 0;
    }

    /**
     * Parses the options of the TCP header at {@code tcp} (header length from its data offset; {@code syn} says
     * whether MSS/WS/SACK_PERM count, as they are only valid on SYN). Returns false when the option list is
     * malformed (a length that runs past the header, a length of 0/1): the segment is then dropped, as Linux's
     * tcp_parse_options stops at such an option.
     */
    public boolean parse(final long tcp, final boolean syn)
    {
        clear();
        final int headerLength = (Memory.getUnsignedByte(tcp + TCP_DATA_OFFSET) >>> 4) << 2;
        if (headerLength < TCP_HEADER_MIN)
        {
            return false;
        }
        return parseList(tcp + TCP_HEADER_MIN, headerLength - TCP_HEADER_MIN, syn);
    }

    /**
     * Parses {@code length} bytes of options at {@code at} (tcp_parse_options' loop). Options of a wrong size
     * are ignored as Linux ignores them; only a list whose framing is broken is refused.
     */
    public boolean parseList(final long at, final int length, final boolean syn)
    {
        clear();
        int i = 0;
        while (i < length)
        {
            final int kind = Memory.getUnsignedByte(at + i);
            if (kind == KIND_EOL)
            {
                return true;
            }
            if (kind == KIND_NOP)
            {
                i++;
                continue;
            }
            if (length - i < 2)
            {
                return false;
            }
            final int size = Memory.getUnsignedByte(at + i + 1);
            if (size < 2 || size > length - i)
            {
                return false;
            }
            final long option = at + i;
            switch (kind)
            {
                case KIND_MSS:
                    if (size == 4 && syn)
                    {
                        final int value = Memory.getShortBE(option + 2) & 0xFFFF;
                        if (value != 0)
                        {
                            mss = value;
                        }
                    }
                    break;
                case KIND_WS:
                    if (size == 3 && syn)
                    {
                        windowScale = Math.min(Memory.getUnsignedByte(option + 2), MAX_WINDOW_SCALE);
                    }
                    break;
                case KIND_SACK_PERM:
                    if (size == 2 && syn)
                    {
                        sackPermitted = true;
                    }
                    break;
                case KIND_TS:
                    if (size == 10)
                    {
                        hasTimestamp = true;
                        tsVal = Memory.getIntBE(option + 2);
                        tsEcr = Memory.getIntBE(option + 6);
                    }
                    break;
                case KIND_SACK:
                    if (size >= 10 && ((size - 2) & 7) == 0 && !syn)
                    {
                        final int blocks = Math.min((size - 2) >>> 3, MAX_SACK_BLOCKS);
                        for (int b = 0; b < blocks; b++)
                        {
                            sackLeft[b] = Memory.getIntBE(option + 2 + (b << 3));
                            sackRight[b] = Memory.getIntBE(option + 6 + (b << 3));
                        }
                        sackBlocks = blocks;
                    }
                    break;
                default:
                    break;
            }
            i += size;
        }
        return true;
    }

    /**
     * Writes SYN or SYN-ACK options at {@code at}: MSS always, SACK_PERM when {@code sack}, TS when
     * {@code timestamps} (tsEcr 0 on a SYN), WS when {@code windowScale} ≥ 0. Returns the bytes written (a multiple of 4).
     */
    public static int writeSyn(final long at, final int mss, final boolean sack, final boolean timestamps, final int tsVal,
                               final int tsEcr, final int windowScale)
    {
        int p = 0;
        Memory.putByte(at, (byte)KIND_MSS);
        Memory.putByte(at + 1, (byte)4);
        Memory.putShortBE(at + 2, mss);
        p += 4;
        if (timestamps)
        {
            if (sack)
            {
                Memory.putByte(at + p, (byte)KIND_SACK_PERM);
                Memory.putByte(at + p + 1, (byte)2);
            }
            else
            {
                Memory.putByte(at + p, (byte)KIND_NOP);
                Memory.putByte(at + p + 1, (byte)KIND_NOP);
            }
            Memory.putByte(at + p + 2, (byte)KIND_TS);
            Memory.putByte(at + p + 3, (byte)10);
            Memory.putIntBE(at + p + 4, tsVal);
            Memory.putIntBE(at + p + 8, tsEcr);
            p += 12;
        }
        else if (sack)
        {
            Memory.putByte(at + p, (byte)KIND_NOP);
            Memory.putByte(at + p + 1, (byte)KIND_NOP);
            Memory.putByte(at + p + 2, (byte)KIND_SACK_PERM);
            Memory.putByte(at + p + 3, (byte)2);
            p += 4;
        }
        if (windowScale >= 0)
        {
            Memory.putByte(at + p, (byte)KIND_NOP);
            Memory.putByte(at + p + 1, (byte)KIND_WS);
            Memory.putByte(at + p + 2, (byte)3);
            Memory.putByte(at + p + 3, (byte)Math.min(windowScale, MAX_WINDOW_SCALE));
            p += 4;
        }
        return p;
    }

    /**
     * Writes the options of a non-SYN segment: NOP NOP TS when {@code timestamps}, then up to
     * {@code blocks} SACK blocks (3 with timestamps, 4 without) from the arrays. Returns the bytes written.
     */
    public static int write(final long at, final boolean timestamps, final int tsVal, final int tsEcr, final int[] sackLeft,
                            final int[] sackRight, final int blocks)
    {
        int p = 0;
        if (timestamps)
        {
            Memory.putByte(at, (byte)KIND_NOP);
            Memory.putByte(at + 1, (byte)KIND_NOP);
            Memory.putByte(at + 2, (byte)KIND_TS);
            Memory.putByte(at + 3, (byte)10);
            Memory.putIntBE(at + 4, tsVal);
            Memory.putIntBE(at + 8, tsEcr);
            p = 12;
        }
        final int n = Math.min(blocks, timestamps ? MAX_SACK_BLOCKS - 1 : MAX_SACK_BLOCKS);
        if (n > 0)
        {
            Memory.putByte(at + p, (byte)KIND_NOP);
            Memory.putByte(at + p + 1, (byte)KIND_NOP);
            Memory.putByte(at + p + 2, (byte)KIND_SACK);
            Memory.putByte(at + p + 3, (byte)(2 + (n << 3)));
            p += 4;
            for (int b = 0; b < n; b++)
            {
                Memory.putIntBE(at + p, sackLeft[b]);
                Memory.putIntBE(at + p + 4, sackRight[b]);
                p += 8;
            }
        }
        return p;
    }

    /** Bytes {@link #writeSyn} writes for these options. */
    public static int synLength(final boolean sack, final boolean timestamps, final int windowScale)
    {
        return 4 + (timestamps ? 12 : sack ? 4 : 0) + (windowScale >= 0 ? 4 : 0);
    }

    /** Bytes {@link #write} needs for these options (to size the header before writing). */
    public static int length(final boolean timestamps, final int blocks)
    {
        final int n = Math.min(blocks, timestamps ? MAX_SACK_BLOCKS - 1 : MAX_SACK_BLOCKS);
        return (timestamps ? 12 : 0) + (n > 0 ? 4 + (n << 3) : 0);
    }
}
