package io.flowgate.pipeline.neigh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.flowgate.pmd.pcap.PcapWriter;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Decodes frames with the real tshark: writes them to a pcap and reads fields back, one array per frame. */
final class Tshark
{
    private Tshark()
    {
    }

    /** The {@code fields} tshark decodes from the frame of {@code length} bytes at {@code address}. */
    static String[] fields(final Path dir, final long address, final int length, final String... fields)
        throws IOException, InterruptedException
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tshark")), "tshark is not installed");
        final Path pcap = dir.resolve("frame.pcap");
        try (PcapWriter writer = new PcapWriter(pcap))
        {
            writer.write(address, length, 0);
        }
        final List<String> command = new ArrayList<>(List.of("tshark", "-r", pcap.toString(), "-T", "fields", "-E", "occurrence=a"));
        for (final String field : fields)
        {
            command.add("-e");
            command.add(field);
        }
        // tshark warns "Running as user root" on stderr: not part of the answer.
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "tshark finished");
        final String line = output.lines().findFirst().orElse("");
        return line.split("\t", -1);
    }
}
