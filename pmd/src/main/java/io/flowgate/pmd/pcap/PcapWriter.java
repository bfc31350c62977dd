package io.flowgate.pmd.pcap;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.flowgate.nativebindings.Memory;

/**
 * Writes a classic pcap file ({@link PcapFormat}): microsecond timestamps, {@code LINKTYPE_ETHERNET},
 * little-endian fields whatever the host, so the same packets always give the same bytes.
 * <p>
 * Usage:
 * <pre>
 *   try (PcapWriter writer = new PcapWriter(path))
 *   {
 *       writer.write(frameAddress, frameLength, timestampUs);
 *   }
 * </pre>
 * Frames are Ethernet frames without FCS, as DPDK holds them. A frame longer than the snap length is
 * truncated to it and recorded with its original length.
 * <p>
 * Thread-safety: one thread at a time. Control path: it buffers on the heap and does blocking I/O.
 * <p>
 * Shutdown: {@link #close()} flushes and closes the file; records written before a failure may be lost.
 */
public final class PcapWriter implements AutoCloseable
{
    private static final int BUFFER_CAPACITY = 1 << 16;

    private final FileChannel channel;
    private final ByteBuffer buffer;
    private final int snapLength;
    private long recordCount;

    /** Creates or truncates {@code path} and writes the file header, with the default snap length. */
    public PcapWriter(final Path path) throws IOException
    {
        this(path, PcapFormat.DEFAULT_SNAP_LENGTH);
    }

    public PcapWriter(final Path path, final int snapLength) throws IOException
    {
        if (snapLength <= 0)
        {
            throw new IllegalArgumentException("snapLength must be positive: " + snapLength);
        }
        this.snapLength = snapLength;
        this.buffer = ByteBuffer.allocate(Math.max(BUFFER_CAPACITY, PcapFormat.RECORD_HEADER_LENGTH + snapLength))
            .order(ByteOrder.LITTLE_ENDIAN);
        this.channel = FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);

        buffer.putInt(PcapFormat.MAGIC_MICROSECONDS)
            .putShort((short)PcapFormat.VERSION_MAJOR)
            .putShort((short)PcapFormat.VERSION_MINOR)
            .putInt(0)
            .putInt(0)
            .putInt(snapLength)
            .putInt(PcapFormat.LINKTYPE_ETHERNET);
    }

    public int snapLength()
    {
        return snapLength;
    }

    public long recordCount()
    {
        return recordCount;
    }

    /** Appends the {@code length} bytes of native memory at {@code address} as one record. */
    public void write(final long address, final int length, final long timestampUs) throws IOException
    {
        final int capturedLength = beginRecord(length, timestampUs);
        MemorySegment.copy(Memory.ALL, ValueLayout.JAVA_BYTE, address, buffer.array(), buffer.position(), capturedLength);
        buffer.position(buffer.position() + capturedLength);
    }

    /** Appends {@code length} bytes of {@code frame} from {@code offset} as one record. */
    public void write(final byte[] frame, final int offset, final int length, final long timestampUs) throws IOException
    {
        final int capturedLength = beginRecord(length, timestampUs);
        buffer.put(frame, offset, capturedLength);
    }

    public void flush() throws IOException
    {
        buffer.flip();
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
        buffer.clear();
    }

    @Override
    public void close() throws IOException
    {
        try (channel)
        {
            flush();
        }
    }

    private int beginRecord(final int length, final long timestampUs) throws IOException
    {
        if (length < 0)
        {
            throw new IllegalArgumentException("negative length: " + length);
        }
        final int capturedLength = Math.min(length, snapLength);
        if (buffer.remaining() < PcapFormat.RECORD_HEADER_LENGTH + capturedLength)
        {
            flush();
        }
        buffer.putInt((int)(timestampUs / 1_000_000L))
            .putInt((int)(timestampUs % 1_000_000L))
            .putInt(capturedLength)
            .putInt(length);
        recordCount++;
        return capturedLength;
    }
}
