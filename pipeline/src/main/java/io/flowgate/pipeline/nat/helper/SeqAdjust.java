package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.expect.HelpTable;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;

/**
 * Linux's {@code nf_ct_seq_adjust} (with {@code nf_ct_sack_adjust}): once a helper changed the length of a
 * connection's payload, every later segment of both directions has its sequence number shifted by the
 * offset of its own direction and its acknowledgement (and SACK blocks) by the other direction's, so both
 * ends see one consistent stream. The TCP checksum is updated incrementally.
 * <p>
 * A segment at or before the last rewrite position uses the offset before that rewrite (a retransmission of
 * the rewritten segment or of older data), a later one the offset after.
 * <p>
 * Where: after the helper, before the packet leaves (Linux does it in {@code nf_confirm}, after the helper,
 * for every packet of a connection with SEQ_ADJUST except RELATED_REPLY ones). {@link HelperHook} calls it.
 * <p>
 * Thread-safety: stateless; the connection's owner only.
 */
public final class SeqAdjust
{
    private static final int TCPOPT_EOL = 0;
    private static final int TCPOPT_NOP = 1;
    private static final int TCPOPT_SACK = 5;
    private static final int SACK_BLOCK = 8;

    private SeqAdjust()
    {
    }

    /**
     * Adjusts the TCP segment at {@code tcp} travelling in direction {@code dir} with the offsets of the help
     * slot at {@code base}. Returns false when its options are malformed (Linux drops the packet).
     */
    public static boolean adjust(final long tcp, final int dir, final HelpTable help, final int base)
    {
        final int[] slots = help.slots;
        final int thisWay = base + HelpTable.SEQADJ + dir * HelpTable.SEQADJ_SIZE;
        final int otherWay = base + HelpTable.SEQADJ + (1 - dir) * HelpTable.SEQADJ_SIZE;
        int check = Memory.getShortBE(tcp + 16);

        final int seq = Memory.getIntBE(tcp + 4);
        final int seqOff = HelpTable.after(seq, slots[thisWay + HelpTable.CORRECTION_POS])
            ? slots[thisWay + HelpTable.OFFSET_AFTER] : slots[thisWay + HelpTable.OFFSET_BEFORE];
        final int newSeq = seq + seqOff;
        check = Checksum.adjust32(check, seq, newSeq);
        Memory.putIntBE(tcp + 4, newSeq);

        boolean ok = true;
        if ((Memory.getUnsignedByte(tcp + 13) & 0x10) != 0) // ACK
        {
            final int otherPos = slots[otherWay + HelpTable.CORRECTION_POS];
            final int otherBefore = slots[otherWay + HelpTable.OFFSET_BEFORE];
            final int otherAfter = slots[otherWay + HelpTable.OFFSET_AFTER];
            final int ack = Memory.getIntBE(tcp + 8);
            final int newAck = ack - (HelpTable.after(ack - otherBefore, otherPos) ? otherAfter : otherBefore);
            check = Checksum.adjust32(check, ack, newAck);
            Memory.putIntBE(tcp + 8, newAck);

            // SACK blocks name the other direction's data, as the ack does
            final int optEnd = (Memory.getUnsignedByte(tcp + 12) >>> 4) << 2;
            int off = 20;
            while (off < optEnd)
            {
                final int kind = Memory.getUnsignedByte(tcp + off);
                if (kind == TCPOPT_EOL)
                {
                    break;
                }
                if (kind == TCPOPT_NOP)
                {
                    off++;
                    continue;
                }
                if (off + 1 == optEnd)
                {
                    ok = false;
                    break;
                }
                final int len = Memory.getUnsignedByte(tcp + off + 1);
                if (off + len > optEnd || len < 2)
                {
                    ok = false; // no partial options
                    break;
                }
                if (kind == TCPOPT_SACK && len >= 2 + SACK_BLOCK && ((len - 2) % SACK_BLOCK) == 0)
                {
                    for (int b = off + 2; b < off + len; b += 4)
                    {
                        final int edge = Memory.getIntBE(tcp + b);
                        final int newEdge = edge - (HelpTable.after(edge - otherBefore, otherPos) ? otherAfter : otherBefore);
                        check = replace4(check, edge, newEdge, (b & 1) != 0);
                        Memory.putIntBE(tcp + b, newEdge);
                    }
                }
                off += len;
            }
        }
        Memory.putShortBE(tcp + 16, check);
        return ok;
    }

    /** The checksum after a 32-bit field changes; a field at an odd offset adds its words byte-swapped (RFC 1071 2(B)). */
    static int replace4(final int check, final int oldValue, final int newValue, final boolean oddOffset)
    {
        if (!oddOffset)
        {
            return Checksum.adjust32(check, oldValue, newValue);
        }
        return Checksum.adjust16(check, swap(fold(oldValue)), swap(fold(newValue)));
    }

    private static int fold(final int value)
    {
        final int sum = (value >>> 16) + (value & 0xFFFF);
        return (sum & 0xFFFF) + (sum >>> 16);
    }

    private static int swap(final int word)
    {
        return ((word & 0xFF) << 8) | (word >>> 8 & 0xFF);
    }
}
