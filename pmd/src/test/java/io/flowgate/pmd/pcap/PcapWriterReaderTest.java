package io.flowgate.pmd.pcap;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcapWriterReaderTest
{
    private final Arena arena = Arena.ofConfined();

    @TempDir
    Path directory;

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldWriteLittleEndianMicrosecondEthernetFileHeader() throws IOException
    {
        final Path file = directory.resolve("empty.pcap");

        new PcapWriter(file).close();

        assertArrayEquals(
            CapturedPackets.bytes("d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00"),
            Files.readAllBytes(file));
    }

    @Test
    void shouldReadBackRecordsWrittenFromNativeMemoryAndFromArrays() throws IOException
    {
        final Path file = directory.resolve("two.pcap");
        final byte[] syn = CapturedPackets.bytes(CapturedPackets.TCP_SYN);
        final byte[] arp = CapturedPackets.bytes(CapturedPackets.ARP_REQUEST);
        try (PcapWriter writer = new PcapWriter(file))
        {
            writer.write(CapturedPackets.load(arena, syn), syn.length, 1_795_450_886_877_720L);
            writer.write(arp, 0, arp.length, 1_795_450_886_877_721L);
            assertEquals(2, writer.recordCount());
        }

        try (PcapReader reader = new PcapReader(file))
        {
            assertEquals(ByteOrder.LITTLE_ENDIAN, reader.byteOrder());
            assertFalse(reader.isNanosecond());
            assertEquals(2, reader.versionMajor());
            assertEquals(4, reader.versionMinor());
            assertEquals(65535, reader.snapLength());
            assertEquals(PcapFormat.LINKTYPE_ETHERNET, reader.linkType());

            assertTrue(reader.next());
            assertEquals(syn.length, reader.capturedLength());
            assertEquals(syn.length, reader.originalLength());
            assertEquals(1_795_450_886L, reader.timestampSeconds());
            assertEquals(1_795_450_886_877_720_000L, reader.timestampNs());
            assertArrayEquals(syn, reader.recordBytes());

            assertTrue(reader.next());
            assertArrayEquals(arp, reader.recordBytes());
            final long copy = CapturedPackets.load(arena, new byte[arp.length]);
            assertEquals(arp.length, reader.copyTo(copy));
            assertArrayEquals(arp, CapturedPackets.read(copy, arp.length));

            assertFalse(reader.next());
            assertEquals(2, reader.recordCount());
        }
    }

    @Test
    void shouldTruncateRecordsToSnapLengthAndKeepOriginalLength() throws IOException
    {
        final Path file = directory.resolve("snap.pcap");
        final byte[] syn = CapturedPackets.bytes(CapturedPackets.TCP_SYN);
        try (PcapWriter writer = new PcapWriter(file, 34))
        {
            writer.write(syn, 0, syn.length, 0);
        }

        try (PcapReader reader = new PcapReader(file))
        {
            assertEquals(34, reader.snapLength());
            assertTrue(reader.next());
            assertEquals(34, reader.capturedLength());
            assertEquals(74, reader.originalLength());
            assertArrayEquals(CapturedPackets.slice(syn, 0, 34), reader.recordBytes());
        }
    }

    @Test
    void shouldReadManyRecordsAcrossBufferBoundaries() throws IOException
    {
        final Path file = directory.resolve("many.pcap");
        final byte[] frame = new byte[1514];
        try (PcapWriter writer = new PcapWriter(file))
        {
            for (int i = 0; i < 1000; i++)
            {
                frame[0] = (byte)i;
                writer.write(frame, 0, 60 + i, i);
            }
        }

        final List<byte[]> records = PcapReader.readAll(file);

        assertEquals(1000, records.size());
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(60 + i, records.get(i).length);
            assertEquals((byte)i, records.get(i)[0]);
        }
    }

    @Test
    void shouldReadBigEndianFileWithNanosecondTimestamps() throws IOException
    {
        final Path file = directory.resolve("be.pcap");
        final byte[] arp = CapturedPackets.bytes(CapturedPackets.ARP_REQUEST);
        final ByteBuffer buffer = ByteBuffer.allocate(24 + 16 + arp.length).order(ByteOrder.BIG_ENDIAN);
        buffer.putInt(PcapFormat.MAGIC_NANOSECONDS).putShort((short)2).putShort((short)4).putInt(0).putInt(0)
            .putInt(262_144).putInt(0x0400_0001);
        buffer.putInt(1).putInt(999_999_999).putInt(arp.length).putInt(60).put(arp);
        Files.write(file, buffer.array());

        try (PcapReader reader = new PcapReader(file))
        {
            assertEquals(ByteOrder.BIG_ENDIAN, reader.byteOrder());
            assertTrue(reader.isNanosecond());
            assertEquals(262_144, reader.snapLength());
            assertEquals(PcapFormat.LINKTYPE_ETHERNET, reader.linkType());
            assertTrue(reader.next());
            assertEquals(1_999_999_999L, reader.timestampNs());
            assertEquals(42, reader.capturedLength());
            assertEquals(60, reader.originalLength());
            assertArrayEquals(arp, reader.recordBytes());
            assertFalse(reader.next());
        }
    }

    @Test
    void shouldRejectPcapngAndOtherFiles() throws IOException
    {
        final Path pcapng = directory.resolve("x.pcapng");
        Files.write(pcapng, CapturedPackets.bytes("0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff"));
        final Path text = directory.resolve("x.txt");
        Files.writeString(text, "this is not a capture file at all");
        final Path shortFile = directory.resolve("short.pcap");
        Files.write(shortFile, CapturedPackets.bytes("d4 c3 b2 a1 02 00"));

        assertTrue(assertThrows(IOException.class, () -> new PcapReader(pcapng)).getMessage().contains("pcapng"));
        assertThrows(IOException.class, () -> new PcapReader(text));
        assertThrows(EOFException.class, () -> new PcapReader(shortFile));
    }

    @Test
    void shouldReportFileEndingInsideRecord() throws IOException
    {
        final Path file = directory.resolve("cut.pcap");
        final byte[] syn = CapturedPackets.bytes(CapturedPackets.TCP_SYN);
        try (PcapWriter writer = new PcapWriter(file))
        {
            writer.write(syn, 0, syn.length, 0);
            writer.write(syn, 0, syn.length, 1);
        }
        final byte[] whole = Files.readAllBytes(file);
        Files.write(file, CapturedPackets.slice(whole, 0, whole.length - 1));

        try (PcapReader reader = new PcapReader(file))
        {
            assertTrue(reader.next());
            assertThrows(EOFException.class, reader::next);
        }
    }
}
