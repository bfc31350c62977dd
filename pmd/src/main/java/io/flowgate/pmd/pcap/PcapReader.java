package io.flowgate.pmd.pcap;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.flowgate.nativebindings.Memory;

/**
 * Reads a classic pcap file ({@link PcapFormat}) written in either byte order, with microsecond or
 * nanosecond timestamps, one record at a time.
 * <p>
 * Usage:
 * <pre>
 *   try (PcapReader reader = new PcapReader(path))
 *   {
 *       while (reader.next())
 *       {
 *           use(reader.buffer(), reader.capturedLength());
 *       }
 *   }
 * </pre>
 * {@link #buffer()} holds the current record's bytes until the next call to {@link #next()}.
 * <p>
 * Thread-safety: one thread at a time. Control path: blocking I/O and heap buffers.
 * <p>
 * Shutdown: {@link #close()} closes the file.
 */
public final class PcapReader implements AutoCloseable
{
    /** Records claiming more than this are treated as corruption rather than allocated. */
    public static final int MAX_RECORD_LENGTH = 64 << 20;

    private final InputStream input;
    private final ByteOrder byteOrder;
    private final boolean nanosecond;
    private final int versionMajor;
    private final int versionMinor;
    private final int snapLength;
    private final int linkTypeField;
    private final ByteBuffer recordHeader;
    private byte[] record = new byte[PcapFormat.DEFAULT_SNAP_LENGTH];

    private long timestampSeconds;
    private int timestampFraction;
    private int capturedLength;
    private int originalLength;
    private long recordCount;

    /** Opens {@code path} and reads the file header; throws if it is not a classic pcap file. */
    public PcapReader(final Path path) throws IOException
    {
        input = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        try
        {
            final ByteBuffer header = ByteBuffer.wrap(readFully(PcapFormat.FILE_HEADER_LENGTH, "file header"));
            final int magic = header.getInt(PcapFormat.MAGIC_OFFSET);
            if (magic == PcapFormat.MAGIC_MICROSECONDS || magic == PcapFormat.MAGIC_NANOSECONDS)
            {
                byteOrder = ByteOrder.BIG_ENDIAN;
            }
            else if (Integer.reverseBytes(magic) == PcapFormat.MAGIC_MICROSECONDS ||
                Integer.reverseBytes(magic) == PcapFormat.MAGIC_NANOSECONDS)
            {
                byteOrder = ByteOrder.LITTLE_ENDIAN;
            }
            else if (magic == PcapFormat.PCAPNG_MAGIC)
            {
                throw new IOException(path + " is pcapng, not classic pcap (convert: editcap -F pcap)");
            }
            else
            {
                throw new IOException(path + " is not a pcap file: magic 0x" + Integer.toHexString(magic));
            }
            header.order(byteOrder);
            nanosecond = header.getInt(PcapFormat.MAGIC_OFFSET) == PcapFormat.MAGIC_NANOSECONDS;
            versionMajor = header.getShort(PcapFormat.VERSION_MAJOR_OFFSET) & 0xFFFF;
            versionMinor = header.getShort(PcapFormat.VERSION_MINOR_OFFSET) & 0xFFFF;
            snapLength = header.getInt(PcapFormat.SNAP_LENGTH_OFFSET);
            linkTypeField = header.getInt(PcapFormat.LINK_TYPE_OFFSET);
            recordHeader = ByteBuffer.allocate(PcapFormat.RECORD_HEADER_LENGTH).order(byteOrder);
        }
        catch (final IOException | RuntimeException ex)
        {
            input.close();
            throw ex;
        }
    }

    /** Every record of the file, each trimmed to its captured bytes. Allocates per record. */
    public static List<byte[]> readAll(final Path path) throws IOException
    {
        final List<byte[]> records = new ArrayList<>();
        try (PcapReader reader = new PcapReader(path))
        {
            while (reader.next())
            {
                records.add(reader.recordBytes());
            }
        }
        return records;
    }

    /** The byte order the file was written in. */
    public ByteOrder byteOrder()
    {
        return byteOrder;
    }

    public boolean isNanosecond()
    {
        return nanosecond;
    }

    public int versionMajor()
    {
        return versionMajor;
    }

    public int versionMinor()
    {
        return versionMinor;
    }

    public int snapLength()
    {
        return snapLength;
    }

    /** The link-layer header type, {@link PcapFormat#LINKTYPE_ETHERNET} for Ethernet. */
    public int linkType()
    {
        return linkTypeField & PcapFormat.LINK_TYPE_MASK;
    }

    /**
     * Advances to the next record.
     *
     * @return false at the end of the file.
     * @throws EOFException if the file ends inside a record.
     */
    public boolean next() throws IOException
    {
        final int headerRead = input.readNBytes(recordHeader.array(), 0, PcapFormat.RECORD_HEADER_LENGTH);
        if (headerRead == 0)
        {
            return false;
        }
        if (headerRead < PcapFormat.RECORD_HEADER_LENGTH)
        {
            throw new EOFException("file ends inside record header " + recordCount);
        }

        final int captured = recordHeader.getInt(PcapFormat.CAPTURED_LENGTH_OFFSET);
        if (captured < 0 || captured > MAX_RECORD_LENGTH)
        {
            throw new IOException("record " + recordCount + " claims " + Integer.toUnsignedString(captured) + " bytes");
        }
        if (captured > record.length)
        {
            record = new byte[captured];
        }
        if (input.readNBytes(record, 0, captured) < captured)
        {
            throw new EOFException("file ends inside record " + recordCount);
        }

        timestampSeconds = recordHeader.getInt(PcapFormat.TIMESTAMP_SECONDS_OFFSET) & 0xFFFF_FFFFL;
        timestampFraction = recordHeader.getInt(PcapFormat.TIMESTAMP_FRACTION_OFFSET);
        capturedLength = captured;
        originalLength = recordHeader.getInt(PcapFormat.ORIGINAL_LENGTH_OFFSET);
        recordCount++;
        return true;
    }

    /** Bytes of the current record in the file: at most the snap length. */
    public int capturedLength()
    {
        return capturedLength;
    }

    /** Length of the packet on the wire: more than {@link #capturedLength()} if it was truncated. */
    public int originalLength()
    {
        return originalLength;
    }

    public long timestampSeconds()
    {
        return timestampSeconds;
    }

    /** Timestamp of the current record in nanoseconds since the epoch, whatever the file's resolution. */
    public long timestampNs()
    {
        return timestampSeconds * 1_000_000_000L + (nanosecond ? timestampFraction : timestampFraction * 1_000L);
    }

    /** Records read so far. */
    public long recordCount()
    {
        return recordCount;
    }

    /** The current record in {@code [0, capturedLength())}; overwritten by {@link #next()}. */
    public byte[] buffer()
    {
        return record;
    }

    /** A copy of the current record's bytes. */
    public byte[] recordBytes()
    {
        return Arrays.copyOf(record, capturedLength);
    }

    /** Copies the current record to native memory at {@code address}, which has room for it. */
    public int copyTo(final long address)
    {
        MemorySegment.copy(record, 0, Memory.ALL, ValueLayout.JAVA_BYTE, address, capturedLength);
        return capturedLength;
    }

    @Override
    public void close() throws IOException
    {
        input.close();
    }

    private byte[] readFully(final int length, final String what) throws IOException
    {
        final byte[] bytes = input.readNBytes(length);
        if (bytes.length < length)
        {
            throw new EOFException("file ends inside " + what);
        }
        return bytes;
    }
}
