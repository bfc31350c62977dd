package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.pcap.PcapReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenPcapCommandTest
{
    private static final int ETHERNET = 14;

    @TempDir
    Path directory;

    @Test
    void shouldWriteCsitNatSchemeWithPortsPerSource() throws IOException
    {
        final Path out = directory.resolve("nat.pcap");

        final int exit = new CommandLine(new GenPcapCommand())
            .execute("--out", out.toString(), "--flows", "130", "--ports-per-source", "63");

        assertEquals(0, exit);
        try (PcapReader reader = new PcapReader(out))
        {
            for (int flow = 0; flow < 130; flow++)
            {
                assertTrue(reader.next(), "frame " + flow);
                final ByteBuffer frame = ByteBuffer.wrap(reader.recordBytes());
                assertEquals(Ipv4Flyweight.parseAddress("198.18.0.1") + flow / 63, frame.getInt(ETHERNET + 12), "flow " + flow);
                assertEquals(1024 + flow % 63, frame.getShort(ETHERNET + 20) & 0xFFFF, "flow " + flow);
            }
            assertFalse(reader.next());
        }
    }

    @Test
    void shouldKeepOneFlowPerAddressByDefault() throws IOException
    {
        final Path out = directory.resolve("flows.pcap");

        assertEquals(0, new CommandLine(new GenPcapCommand()).execute("--out", out.toString(), "--flows", "2"));

        try (PcapReader reader = new PcapReader(out))
        {
            assertTrue(reader.next());
            final int first = ByteBuffer.wrap(reader.recordBytes()).getInt(ETHERNET + 12);
            assertTrue(reader.next());
            final ByteBuffer second = ByteBuffer.wrap(reader.recordBytes());
            assertEquals(first + 1, second.getInt(ETHERNET + 12));
            assertEquals(1025, second.getShort(ETHERNET + 20) & 0xFFFF);
        }
    }

    @Test
    void shouldRefuseMorePortsPerSourceThanThePortRangeHolds()
    {
        final Path out = directory.resolve("bad.pcap");

        final StringWriter err = new StringWriter();
        final CommandLine cli = new CommandLine(new GenPcapCommand())
            .setExecutionExceptionHandler((ex, commandLine, parseResult) ->
            {
                commandLine.getErr().println(ex.getMessage());
                return 1;
            })
            .setErr(new PrintWriter(err));

        assertNotEquals(0, cli.execute("--out", out.toString(), "--flows", "2", "--ports-per-source", "64513"));
        assertTrue(err.toString().contains("ports per source"), err.toString());
    }
}
