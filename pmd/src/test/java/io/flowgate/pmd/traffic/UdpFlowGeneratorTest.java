package io.flowgate.pmd.traffic;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.UdpFlyweight;
import io.flowgate.pmd.pcap.PcapFormat;
import io.flowgate.pmd.pcap.PcapReader;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class UdpFlowGeneratorTest
{
    private static final Path TSHARK = Path.of("/usr/bin/tshark");

    private final Arena arena = Arena.ofConfined();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    @TempDir
    Path directory;

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldWriteFrameSizeLessFcs()
    {
        for (final int size : new int[]{64, 65, 128, 1518, UdpFlowGenerator.MAX_FRAME_SIZE})
        {
            final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1, size));
            final long frame = CapturedPackets.load(arena, new byte[size]);

            assertEquals(size - 4, generator.frameLength());
            assertEquals(size - 4, generator.write(frame, 0));
            assertEquals(size - 4 - 14, ipv4.wrap(frame + 14).totalLength());
            assertEquals(size - 4 - 34, udp.wrap(frame + 34).length());
        }
    }

    @Test
    void shouldBuildFlowZeroFromDefaults()
    {
        final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.of(4096, 64));
        final long frame = CapturedPackets.load(arena, new byte[60]);

        generator.write(frame, 0);

        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(frame);
        assertEquals(EthernetFlyweight.parseMac("02:00:00:00:00:02"), ethernet.dstMac());
        assertEquals(EthernetFlyweight.parseMac("02:00:00:00:00:01"), ethernet.srcMac());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, ethernet.etherType());
        ipv4.wrap(ethernet.payloadAddress());
        assertEquals(4, ipv4.version());
        assertEquals(20, ipv4.headerLength());
        assertEquals(0, ipv4.tos());
        assertEquals(46, ipv4.totalLength());
        assertEquals(0, ipv4.id());
        assertEquals(0, ipv4.flagsAndFragmentOffset());
        assertEquals(64, ipv4.ttl());
        assertEquals(IpProtocol.UDP, ipv4.protocol());
        assertEquals(Ipv4Flyweight.parseAddress("198.18.0.1"), ipv4.srcAddress());
        assertEquals(Ipv4Flyweight.parseAddress("198.19.0.1"), ipv4.dstAddress());
        assertTrue(ipv4.isHeaderChecksumValid());
        udp.wrap(ipv4.payloadAddress());
        assertEquals(1024, udp.srcPort());
        assertEquals(9, udp.dstPort());
        assertEquals(26, udp.length());
        assertTrue(Checksum.isUdpIpv4Valid(ipv4.address()));
        for (int i = 0; i < 18; i++)
        {
            assertEquals(i, Memory.getUnsignedByte(udp.payloadAddress() + i));
        }
    }

    @Test
    void shouldVarySourceAddressAndPortPerFlow()
    {
        final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.of(4096, 64));
        final long frame = CapturedPackets.load(arena, new byte[60]);
        final Set<Integer> addresses = new HashSet<>();
        final Set<Integer> ports = new HashSet<>();

        for (int flow = 0; flow < generator.flows(); flow++)
        {
            generator.write(frame, flow);
            ipv4.wrap(frame + 14);
            udp.wrap(frame + 34);
            addresses.add(ipv4.srcAddress());
            ports.add(udp.srcPort());
            assertEquals(Ipv4Flyweight.parseAddress("198.19.0.1"), ipv4.dstAddress());
            assertEquals(9, udp.dstPort());
            assertTrue(ipv4.isHeaderChecksumValid(), "flow " + flow);
            assertTrue(Checksum.isUdpIpv4Valid(ipv4.address()), "flow " + flow);
            assertTrue(udp.checksum() != 0);
        }

        assertEquals(4096, addresses.size());
        assertEquals(4096, ports.size());
        assertEquals(Ipv4Flyweight.parseAddress("198.18.16.0"), generator.srcIp(4095));
        assertEquals(5119, generator.srcPort(4095));
    }

    @Test
    void shouldWrapSourcePortsWithinTheirRange()
    {
        final UdpFlowGenerator generator = new UdpFlowGenerator(new UdpFlowGenerator.Config(
            10, 64, 1L, 2L, 0x0A00_0001, 0x0A00_0002, 65534, 53));

        assertEquals(65534, generator.srcPort(0));
        assertEquals(65535, generator.srcPort(1));
        assertEquals(65534, generator.srcPort(2));
        assertEquals(0x0A00_0003, generator.srcIp(2));
    }

    @Test
    void shouldFillPortsOfEachSourceAddressInCsitNatScheme()
    {
        // CSIT NAT44: 64 inside hosts x 63 ports = 4032 sessions
        final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.ofPortsPerSource(64 * 63, 64, 63));
        final long frame = CapturedPackets.load(arena, new byte[60]);
        final Set<Long> sessions = new HashSet<>();
        final Set<Integer> addresses = new HashSet<>();

        for (int flow = 0; flow < generator.flows(); flow++)
        {
            generator.write(frame, flow);
            ipv4.wrap(frame + 14);
            udp.wrap(frame + 34);
            final int source = ipv4.srcAddress();
            final int port = udp.srcPort();
            assertEquals(Ipv4Flyweight.parseAddress("198.18.0.1") + flow / 63, source, "flow " + flow);
            assertEquals(1024 + flow % 63, port, "flow " + flow);
            assertEquals(Ipv4Flyweight.parseAddress("198.19.0.1"), ipv4.dstAddress());
            assertTrue(ipv4.isHeaderChecksumValid(), "flow " + flow);
            assertTrue(Checksum.isUdpIpv4Valid(ipv4.address()), "flow " + flow);
            sessions.add(((long)source << 16) | port);
            addresses.add(source);
        }

        assertEquals(64 * 63, sessions.size());
        assertEquals(64, addresses.size());
        assertEquals(Ipv4Flyweight.parseAddress("198.18.0.64"), generator.srcIp(64 * 63 - 1));
        assertEquals(1086, generator.srcPort(64 * 63 - 1));
    }

    @Test
    void shouldRejectPortsPerSourceBeyondThePortRange()
    {
        assertThrows(IllegalArgumentException.class, () -> UdpFlowGenerator.Config.ofPortsPerSource(1, 64, -1));
        assertThrows(IllegalArgumentException.class, () -> UdpFlowGenerator.Config.ofPortsPerSource(1, 64, 65536 - 1024 + 1));
        assertEquals(65536 - 1024, UdpFlowGenerator.Config.ofPortsPerSource(1, 64, 65536 - 1024).portsPerSource());
    }

    @Test
    void shouldUseConfiguredAddressesAndPorts()
    {
        final UdpFlowGenerator generator = new UdpFlowGenerator(new UdpFlowGenerator.Config(
            2, 128, CapturedPackets.MAC_A, CapturedPackets.MAC_B, CapturedPackets.IPV4_A, CapturedPackets.IPV4_B, 40000, 4789));
        final long frame = CapturedPackets.load(arena, new byte[124]);

        generator.write(frame, 1);

        assertEquals(CapturedPackets.MAC_B, EthernetFlyweight.getDstMac(frame));
        assertEquals(CapturedPackets.MAC_A, EthernetFlyweight.getSrcMac(frame));
        assertEquals(CapturedPackets.IPV4_A + 1, Ipv4Flyweight.getSrcAddress(frame + 14));
        assertEquals(CapturedPackets.IPV4_B, Ipv4Flyweight.getDstAddress(frame + 14));
        assertEquals(1, ipv4.wrap(frame + 14).id());
        assertEquals(40001, UdpFlyweight.getSrcPort(frame + 34));
        assertEquals(4789, UdpFlyweight.getDstPort(frame + 34));
        assertTrue(Checksum.isUdpIpv4Valid(frame + 14));
    }

    @Test
    void shouldRejectImpossibleConfigurations()
    {
        assertThrows(IllegalArgumentException.class, () -> UdpFlowGenerator.Config.of(1, 63));
        assertThrows(IllegalArgumentException.class, () -> UdpFlowGenerator.Config.of(1, UdpFlowGenerator.MAX_FRAME_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> UdpFlowGenerator.Config.of(0, 64));
        assertThrows(IllegalArgumentException.class, () -> new UdpFlowGenerator.Config(1, 64, 1L << 48, 2L, 1, 2, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> new UdpFlowGenerator.Config(1, 64, 1L, 2L, 1, 2, 65536, 4));
        assertThrows(IllegalArgumentException.class, () -> new UdpFlowGenerator.Config(1, 64, 1L, 2L, 1, 2, 3, -1));
    }

    @Test
    void shouldWritePcapThatReadsBackFrameForFrame() throws IOException
    {
        final Path file = directory.resolve("flows.pcap");
        final UdpFlowGenerator generator = new UdpFlowGenerator(UdpFlowGenerator.Config.of(64, 64));

        UdpFlowGenerator.writePcap(file, 64, 64);

        final long frame = CapturedPackets.load(arena, new byte[60]);
        try (PcapReader reader = new PcapReader(file))
        {
            assertEquals(PcapFormat.LINKTYPE_ETHERNET, reader.linkType());
            for (int flow = 0; flow < 64; flow++)
            {
                assertTrue(reader.next());
                generator.write(frame, flow);
                assertEquals(60, reader.capturedLength());
                assertEquals(60, reader.originalLength());
                assertEquals(UdpFlowGenerator.PCAP_START_US * 1000 + flow * 1000L, reader.timestampNs());
                assertArrayEquals(CapturedPackets.read(frame, 60), reader.recordBytes(), "flow " + flow);
            }
            assertFalse(reader.next());
        }
    }

    @Test
    void shouldWritePcapWhoseChecksumsTsharkCallsGood() throws IOException, InterruptedException
    {
        assumeTrue(Files.isExecutable(TSHARK), "tshark is not installed");
        final Path file = directory.resolve("flows.pcap");
        UdpFlowGenerator.writePcap(file, 64, 64);

        final List<String> lines = tshark(
            "-r", file.toString(),
            "-o", "ip.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=,",
            "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.checksum.status", "-e", "udp.checksum.status",
            "-e", "frame.len", "-e", "ip.dst", "-e", "udp.dstport");

        assertEquals(64, lines.size(), String.join("\n", lines));
        final Set<String> flows = new HashSet<>();
        for (int flow = 0; flow < 64; flow++)
        {
            final String[] fields = lines.get(flow).split(",", -1);
            assertEquals(7, fields.length, lines.get(flow));
            assertEquals("198.18.0." + (flow + 1), fields[0]);
            assertEquals(Integer.toString(1024 + flow), fields[1]);
            assertGood(fields[2], lines.get(flow));
            assertGood(fields[3], lines.get(flow));
            assertEquals("60", fields[4]);
            assertEquals("198.19.0.1", fields[5]);
            assertEquals("9", fields[6]);
            flows.add(fields[0] + ":" + fields[1]);
        }
        assertEquals(64, flows.size());
    }

    /**
     * tshark 4.0 prints checksum status fields as numbers (PROTO_CHECKSUM_E_GOOD is 1: 0 bad, 2 unverified,
     * 3 not present); other versions may print the name.
     */
    private static void assertGood(final String status, final String line)
    {
        assertTrue(status.equals("1") || status.equals("Good"), "checksum status " + status + " in " + line);
    }

    private List<String> tshark(final String... arguments) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(TSHARK.toString());
        command.addAll(List.of(arguments));
        final Path output = directory.resolve("tshark.out");
        final Path errors = directory.resolve("tshark.err");
        final Process process = new ProcessBuilder(command)
            .redirectOutput(output.toFile())
            .redirectError(errors.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IOException("tshark did not finish in 60 s");
        }
        assertEquals(0, process.exitValue(), "tshark failed: " + Files.readString(errors));
        return Files.readAllLines(output, StandardCharsets.UTF_8).stream().filter(line -> !line.isBlank()).toList();
    }
}
