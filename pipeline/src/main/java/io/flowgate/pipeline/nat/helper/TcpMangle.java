package io.flowgate.pipeline.nat.helper;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;

/**
 * Linux's {@code nf_nat_mangle_tcp_packet} for IPv4: replaces {@code matchLength} payload bytes of a TCP
 * segment with other bytes, in place, moving the rest of the payload when the length changes, and fixes the
 * IPv4 total length and header checksum and the TCP checksum (recomputed over the segment, as Linux does
 * without checksum offload). The caller adjusts the buffer's own length (the mbuf) by the returned change and
 * records the sequence offset ({@code HelpTable.seqadjSet}).
 * <p>
 * The packet must be linear (one segment) with {@code room} bytes writable after its end.
 * <p>
 * Thread-safety: stateless.
 */
public final class TcpMangle
{
    /** The packet could not be rewritten: no room, over 65535 bytes, or the match is outside the payload. */
    public static final int FAILED = Integer.MIN_VALUE;

    private TcpMangle()
    {
    }

    /**
     * Replaces payload bytes {@code [matchOffset, matchOffset + matchLength)} of the TCP segment in the IPv4
     * packet at {@code ip} with {@code replacement[0..replacementLength)}. Returns the change of the packet's
     * length (replacementLength - matchLength), or {@link #FAILED} (the packet unchanged).
     */
    public static int mangle(final long ip, final int room, final int matchOffset, final int matchLength, final byte[] replacement,
                             final int replacementLength)
    {
        final int ihl = (Memory.getUnsignedByte(ip) & 0x0F) << 2;
        final int totalLength = Memory.getShortBE(ip + 2);
        final long tcp = ip + ihl;
        final int doff = (Memory.getUnsignedByte(tcp + 12) >>> 4) << 2;
        final long payload = tcp + doff;
        final int payloadLength = totalLength - ihl - doff;
        final int diff = replacementLength - matchLength;
        if (matchOffset < 0 || matchLength < 0 || matchOffset + matchLength > payloadLength || diff > room || totalLength + diff > 0xFFFF)
        {
            return FAILED;
        }
        final int tail = payloadLength - matchOffset - matchLength;
        if (diff != 0 && tail > 0)
        {
            Memory.copy(payload + matchOffset + matchLength, payload + matchOffset + replacementLength, tail); // overlapping: memmove
        }
        for (int k = 0; k < replacementLength; k++)
        {
            Memory.putByte(ip + ihl + doff + matchOffset + k, replacement[k]);
        }
        if (diff != 0)
        {
            final int newLength = totalLength + diff;
            Memory.putShortBE(ip + 2, newLength);
            Memory.putShortBE(ip + 10, Checksum.adjust16(Memory.getShortBE(ip + 10), totalLength, newLength));
        }
        Memory.putShortBE(tcp + 16, Checksum.tcpIpv4(ip));
        return diff;
    }
}
