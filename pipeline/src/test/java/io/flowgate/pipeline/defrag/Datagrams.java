package io.flowgate.pipeline.defrag;

import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.Random;

/** IPv4 datagrams and hand-made fragments of them, as bytes, for the defrag tests. */
final class Datagrams
{
    static final int SRC = 0xC000_0201;
    static final int DST = 0xC633_6407;
    static final int PROTOCOL_UDP = 17;

    private Datagrams()
    {
    }

    /**
     * A datagram with {@code payloadLength} random payload bytes and the given options (padded with End of
     * Option List to a multiple of 4), TTL 64, a valid checksum.
     */
    static byte[] datagram(
        final Random random,
        final int payloadLength,
        final int id,
        final int src,
        final int dst,
        final int protocol,
        final byte[] options,
        final int tos,
        final int flagsAndOffset)
    {
        final int optionsLength = (options.length + 3) & ~3;
        final int headerLength = 20 + optionsLength;
        final byte[] bytes = new byte[headerLength + payloadLength];
        final ByteBuffer header = ByteBuffer.wrap(bytes);
        header.put(0, (byte)(0x40 | (headerLength >>> 2)));
        header.put(1, (byte)tos);
        header.putShort(2, (short)bytes.length);
        header.putShort(4, (short)id);
        header.putShort(6, (short)flagsAndOffset);
        header.put(8, (byte)64);
        header.put(9, (byte)protocol);
        header.putInt(12, src);
        header.putInt(16, dst);
        System.arraycopy(options, 0, bytes, 20, options.length);
        for (int i = headerLength; i < bytes.length; i++)
        {
            bytes[i] = (byte)random.nextInt(256);
        }
        updateChecksum(bytes);
        return bytes;
    }

    static byte[] datagram(final Random random, final int payloadLength, final int id)
    {
        return datagram(random, payloadLength, id, SRC, DST, PROTOCOL_UDP, new byte[0], 0, 0);
    }

    /**
     * A fragment of {@code datagram}: its whole header (options included) with the payload bytes
     * {@code [offset, offset + length)}, MF as given, the datagram's other flags kept.
     */
    static byte[] fragment(final byte[] datagram, final int offset, final int length, final boolean more)
    {
        final int headerLength = (datagram[0] & 0x0F) << 2;
        final byte[] bytes = new byte[headerLength + length];
        System.arraycopy(datagram, 0, bytes, 0, headerLength);
        System.arraycopy(datagram, headerLength + offset, bytes, headerLength, length);
        final ByteBuffer header = ByteBuffer.wrap(bytes);
        final int flags = header.getShort(6) & (Ipv4Flyweight.FLAG_DONT_FRAGMENT | Ipv4Flyweight.FLAG_RESERVED);
        header.putShort(6, (short)(flags | (more ? Ipv4Flyweight.FLAG_MORE_FRAGMENTS : 0) | (offset >>> 3)));
        header.putShort(2, (short)bytes.length);
        updateChecksum(bytes);
        return bytes;
    }

    static void updateChecksum(final byte[] bytes)
    {
        final int headerLength = (bytes[0] & 0x0F) << 2;
        bytes[10] = 0;
        bytes[11] = 0;
        int sum = 0;
        for (int i = 0; i < headerLength; i += 2)
        {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        final int checksum = ~sum & 0xFFFF;
        bytes[10] = (byte)(checksum >>> 8);
        bytes[11] = (byte)checksum;
    }

    static boolean isHeaderChecksumValid(final long address)
    {
        return Checksum.sum(address, Ipv4Flyweight.getHeaderLength(address)) == Checksum.VALID_SUM;
    }

    static long load(final Arena arena, final byte[] bytes)
    {
        return CapturedPackets.load(arena, bytes);
    }

    static byte[] read(final long address, final int length)
    {
        return CapturedPackets.read(address, length);
    }
}
