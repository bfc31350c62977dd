package io.flowgate.pipeline.nat.helper;

import io.flowgate.pipeline.nat.NatBed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.NatFollow;
import io.flowgate.pmd.pcap.PcapReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The helpers against Linux's: a Linux router (nft {@code ct helper} ftp and tftp; masquerade of an inside
 * client, or DNAT to inside servers) carries real lftp sessions against vsftpd (active PORT, passive PASV,
 * passive EPSV) and a tftp download; both sides of it are captured. Every packet that entered the router is then replayed through flowgate's conntrack,
 * expectations and helper hook (NAT decided as Linux did: masquerade keeping ports, and follow-master for the
 * expected connections), and what comes out must equal what Linux sent on: the TCP payload (the rewritten
 * PORT / 227 / 229 lines), sequence and acknowledgement numbers, flags and options (SACK blocks), the UDP
 * payload; flowgate's checksums valid; every data connection RELATED with Linux's translation.
 * Addresses and ports are NAT's part, not the helpers': they are not compared here.
 */
class FtpLinuxDifferentialTest
{
    /** The inside host: the FTP client with masquerade, the servers with DNAT. */
    private static final int CLIENT = HelperTestBench.address("10.77.5.2");
    private static final int ROUTER_OUT = HelperTestBench.address("198.51.100.1");

    private record Packet(long timeNs, byte[] ip)
    {
        int src()
        {
            return (ip[12] & 0xFF) << 24 | (ip[13] & 0xFF) << 16 | (ip[14] & 0xFF) << 8 | (ip[15] & 0xFF);
        }

        int dst()
        {
            return (ip[16] & 0xFF) << 24 | (ip[17] & 0xFF) << 16 | (ip[18] & 0xFF) << 8 | (ip[19] & 0xFF);
        }

        int protocol()
        {
            return ip[9] & 0xFF;
        }

        int l4()
        {
            return (ip[0] & 0x0F) * 4;
        }

        int sport()
        {
            return (ip[l4()] & 0xFF) << 8 | (ip[l4() + 1] & 0xFF);
        }

        int dport()
        {
            return (ip[l4() + 2] & 0xFF) << 8 | (ip[l4() + 3] & 0xFF);
        }

        String flow()
        {
            return protocol() + ":" + sport() + ">" + dport();
        }
    }

    @Test
    void shouldRewriteAndAdjustExactlyAsLinuxDoesForAClientBehindMasquerade() throws Exception
    {
        compareWithLinux("snat");
    }

    @Test
    void shouldRewriteAndAdjustExactlyAsLinuxDoesForServersBehindDnat() throws Exception
    {
        compareWithLinux("dnat");
    }

    private void compareWithLinux(final String mode) throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces)");
        for (String tool : new String[] {"/usr/sbin/ip", "/usr/sbin/nft", "/usr/bin/dumpcap", "/usr/bin/lftp", "/usr/sbin/vsftpd",
            "/usr/bin/tftp", "/usr/sbin/in.tftpd", "/usr/sbin/ethtool"})
        {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), "needs " + tool + " (apt packages lftp vsftpd tftp-hpa tftpd-hpa)");
        }
        final Path dir = Files.createTempDirectory("nh-ftp-diff");
        final Path script = dir.resolve("linux-ftp-nat.sh");
        try (InputStream in = getClass().getResourceAsStream("/nat-helpers/linux-ftp-nat.sh"))
        {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        final String prefix = "nh" + (ProcessHandle.current().pid() % 10000);
        final Process linux = new ProcessBuilder("bash", script.toString(), "run", prefix, dir.toString(), mode)
            .redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile()).start();
        if (!linux.waitFor(90, TimeUnit.SECONDS))
        {
            linux.destroyForcibly();
            new ProcessBuilder("bash", script.toString(), "down", prefix).start().waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(0, linux.exitValue(), "the Linux side: " + Files.readString(dir.resolve("run.log")));
        for (String transfer : new String[] {"active.txt", "passive.txt", "epsv.txt"})
        {
            assertEquals("hello through the helper\n", Files.readString(dir.resolve(transfer)), transfer + " through Linux");
        }

        final List<Packet> inside = read(dir.resolve("inside.pcap"));
        final List<Packet> outside = read(dir.resolve("outside.pcap"));
        // what entered the router, in time order; what left it, per flow and direction, in order
        final List<Packet> ingress = new ArrayList<>();
        final Map<String, ArrayDeque<Packet>> egress = new HashMap<>();
        for (Packet p : inside)
        {
            if (p.src() == CLIENT)
            {
                ingress.add(p);
            }
            else
            {
                egress.computeIfAbsent(p.flow(), k -> new ArrayDeque<>()).add(p);
            }
        }
        for (Packet p : outside)
        {
            if (p.dst() == ROUTER_OUT)
            {
                ingress.add(p);
            }
            else
            {
                egress.computeIfAbsent(p.flow(), k -> new ArrayDeque<>()).add(p);
            }
        }
        ingress.sort(Comparator.comparingLong(Packet::timeNs));

        int rewritten = 0;
        int related = 0;
        try (HelperTestBench bench = new HelperTestBench(0, 1))
        {
            final NatFollow follow = new NatFollow();
            for (Packet in : ingress)
            {
                final boolean fromClient = in.src() == CLIENT;
                // masquerade kept every port (checked: Linux's egress queue of the same ports must exist)
                final ArrayDeque<Packet> queue = egress.get(in.flow());
                assertTrue(queue != null && !queue.isEmpty(), "Linux forwarded " + in.flow() + " and flowgate expects it out");
                final Packet linuxOut = queue.poll();
                bench.decide = (idx, key) ->
                {
                    if (bench.expect.follow(idx, follow))
                    {
                        // nf_nat_follow_master: source to follow.srcAddress (port kept), destination to follow.dst*
                        final int status = (follow.srcAddress != key.src4() ? CtStatus.SRC_NAT : 0) |
                            (follow.dstAddress != key.dst4() || follow.dstPort != key.dstPort ? CtStatus.DST_NAT : 0);
                        bench.natStatus = status;
                        return new CtKey().ipv4(0, key.protocol, follow.dstAddress, follow.srcAddress, follow.dstPort, key.srcPort);
                    }
                    if (fromClient && mode.equals("snat"))
                    {
                        bench.natStatus = CtStatus.SRC_NAT; // masquerade, port kept
                        return new CtKey().ipv4(0, key.protocol, key.dst4(), ROUTER_OUT, key.dstPort, key.srcPort);
                    }
                    if (!fromClient && mode.equals("dnat"))
                    {
                        bench.natStatus = CtStatus.DST_NAT; // dnat to the inside host, port kept
                        return new CtKey().ipv4(0, key.protocol, CLIENT, key.src4(), key.dstPort, key.srcPort);
                    }
                    bench.natStatus = 0;
                    return null;
                };
                final byte[] out = bench.pass(in.ip());
                assertTrue(bench.lastIndex >= 0, "tracked: " + describe(in));
                if (fromClient == mode.equals("dnat"))
                {
                    assertTrue(bench.lastCtinfo != CtInfo.NEW, "from the NATed side, only replies and expected connections: " + describe(in));
                }
                if (bench.lastCtinfo == CtInfo.RELATED)
                {
                    related++;
                    assertTrue((CtRecord.status(bench.ct.table().record(bench.lastIndex)) & CtStatus.EXPECTED) != 0);
                }
                assertTrue(bench.checksumsValid(out), "flowgate's checksums: " + describe(in));
                final byte[] expected = linuxOut.ip();
                final int l4 = in.l4();
                assertEquals(expected.length, out.length, "length of " + describe(in) + " -> Linux " + describe(linuxOut));
                if (!Arrays.equals(in.ip(), 20, in.ip().length, out, 20, out.length))
                {
                    rewritten++;
                }
                if (in.protocol() == 6)
                {
                    // from the sequence number to the end, except the checksum: seq, ack, offset, flags, window, options, payload
                    assertArrayEquals(Arrays.copyOfRange(expected, l4 + 4, l4 + 16), Arrays.copyOfRange(out, l4 + 4, l4 + 16),
                        "seq/ack/flags/window of " + describe(in) + " -> Linux " + describe(linuxOut));
                    assertArrayEquals(Arrays.copyOfRange(expected, l4 + 18, expected.length), Arrays.copyOfRange(out, l4 + 18, out.length),
                        "options and payload of " + describe(in) + " -> Linux " + describe(linuxOut));
                }
                else
                {
                    assertArrayEquals(Arrays.copyOfRange(expected, l4 + 8, expected.length), Arrays.copyOfRange(out, l4 + 8, out.length));
                }
            }
            System.out.println("ftp-linux-diff " + mode + ": " + ingress.size() + " packets replayed, " + related + " RELATED, " + rewritten +
                " changed, " + bench.hook.ftp().rewritten + " FTP lines rewritten, all equal to Linux's");
            assertTrue(related >= 4, "the three FTP data connections and the TFTP answer were RELATED (" + related + ")");
            assertTrue(rewritten >= 10, "the PORT and 227 rewrites and the packets shifted after them (" + rewritten + ")");
            assertTrue(bench.hook.ftp().rewritten >= 3, "PORT, 227, 229 rewritten: " + bench.hook.ftp().rewritten);

            // every connection Linux's table holds, flowgate's holds with the same translation (follow-master included)
            int entries = 0;
            for (String line : Files.readAllLines(dir.resolve("conntrack.txt")))
            {
                if (!line.startsWith("tcp") && !line.startsWith("udp"))
                {
                    continue;
                }
                final List<Integer> v = new ArrayList<>();
                for (String field : line.split(" +"))
                {
                    if (field.startsWith("src=") || field.startsWith("dst="))
                    {
                        v.add(HelperTestBench.address(field.substring(4)));
                    }
                    else if (field.startsWith("sport=") || field.startsWith("dport="))
                    {
                        v.add(Integer.parseInt(field.substring(6)));
                    }
                }
                final int protocol = line.startsWith("tcp") ? 6 : 17;
                final int ref = bench.ct.table().lookup(new CtKey().ipv4(0, protocol, v.get(0), v.get(1), v.get(2), v.get(3)), bench.nowMs);
                assertTrue(ref >= 0 && (ref & 1) == 0, "flowgate has Linux's " + line);
                final CtKey reply = bench.ct.table().tuple(ref >>> 1, 1, new CtKey());
                assertEquals(List.of(v.get(4), v.get(5), v.get(6), v.get(7)), List.of(reply.src4(), reply.dst4(), reply.srcPort, reply.dstPort),
                    "the reply tuple of " + line);
                entries++;
            }
            assertTrue(entries >= 8, "Linux's table listed the connections: " + entries);
        }
        for (Map.Entry<String, ArrayDeque<Packet>> left : egress.entrySet())
        {
            assertTrue(left.getValue().isEmpty(), "Linux sent packets flowgate never saw come in: " + left.getKey());
        }
        throughTheEngine(mode, ingress, inside, outside);
        try (var files = Files.list(dir))
        {
            for (Path file : files.toList())
            {
                Files.delete(file); // kept when the comparison failed, for a look
            }
        }
        Files.delete(dir);
    }

    /**
     * The same packets through the NAT engine's hooks with the helpers ({@link NatBed#withHelpers}): each packet that
     * left Linux's router must leave flowgate's byte for byte, addresses, ports and both checksums included,
     * except the TTL Linux's forwarding decremented (and the IPv4 header checksum that covers it).
     */
    private static void throughTheEngine(final String mode, final List<Packet> ingress, final List<Packet> inside, final List<Packet> outside)
    {
        final Map<String, ArrayDeque<Packet>> egress = new HashMap<>();
        for (Packet p : inside)
        {
            if (p.src() != CLIENT)
            {
                egress.computeIfAbsent(p.flow(), k -> new ArrayDeque<>()).add(p);
            }
        }
        for (Packet p : outside)
        {
            if (p.dst() != ROUTER_OUT)
            {
                egress.computeIfAbsent(p.flow(), k -> new ArrayDeque<>()).add(p);
            }
        }
        final io.flowgate.conntrack.nat.NatRange keep = new io.flowgate.conntrack.nat.NatRange(0, 0, 0, 0, 0);
        final io.flowgate.pipeline.nat.NatConfig config = mode.equals("snat")
            ? io.flowgate.pipeline.nat.NatConfig.of(new io.flowgate.pipeline.nat.NatRule(io.flowgate.pipeline.nat.NatRule.Kind.MASQUERADE,
                null, "outside", -1, 0, 0, 0, 0, -1, -1, -1, -1, keep, "test:1"))
            : io.flowgate.pipeline.nat.NatConfig.of(
                new io.flowgate.pipeline.nat.NatRule(io.flowgate.pipeline.nat.NatRule.Kind.DNAT, "outside", null, 6, 0, 0, 0, 0, -1, -1, 21, 21,
                    io.flowgate.conntrack.nat.NatRange.address(CLIENT), "test:1"),
                new io.flowgate.pipeline.nat.NatRule(io.flowgate.pipeline.nat.NatRule.Kind.DNAT, "outside", null, 17, 0, 0, 0, 0, -1, -1, 69, 69,
                    io.flowgate.conntrack.nat.NatRange.address(CLIENT), "test:2"));
        int compared = 0;
        try (NatBed bed = NatBed.withHelpers(config, 0x0A4D0501, FtpLinuxDifferentialTest::route))
        {
            for (Packet in : ingress)
            {
                final ArrayDeque<Packet> queue = egress.get(in.flow());
                assertTrue(queue != null && !queue.isEmpty(), "Linux forwarded " + in.flow());
                final Packet linuxOut = queue.poll();
                final byte[] out = bed.send(in.ip(), in.src() == CLIENT ? NatBed.INSIDE : NatBed.OUTSIDE, NatBed.ROUTED);
                assertTrue(out != null, "flowgate forwarded " + describe(in));
                final byte[] expected = linuxOut.ip();
                assertEquals(expected.length, out.length, "length of " + describe(in) + " -> Linux " + describe(linuxOut));
                final byte[] a = expected.clone();
                final byte[] b = out.clone();
                a[8] = b[8] = 0;
                a[10] = b[10] = a[11] = b[11] = 0;
                assertArrayEquals(a, b, "engine and helpers on " + describe(in) + " -> Linux " + describe(linuxOut) + " (ctinfo " +
                    bed.lastCtinfo() + ")");
                compared++;
            }
        }
        System.out.println("ftp-linux-diff " + mode + " through the NAT engine: " + compared + " packets equal to Linux's");
    }

    private static List<Packet> read(final Path pcap) throws IOException
    {
        final List<Packet> packets = new ArrayList<>();
        try (PcapReader reader = new PcapReader(pcap))
        {
            while (reader.next())
            {
                final byte[] frame = reader.recordBytes();
                if (frame.length < 34 || frame[12] != 0x08 || frame[13] != 0x00)
                {
                    continue;
                }
                final byte[] ip = Arrays.copyOfRange(frame, 14, frame.length);
                final int total = (ip[2] & 0xFF) << 8 | (ip[3] & 0xFF);
                final Packet p = new Packet(reader.timestampNs(), Arrays.copyOf(ip, total));
                if (p.protocol() == 6 || p.protocol() == 17)
                {
                    packets.add(p);
                }
            }
        }
        return packets;
    }

    private static String describe(final Packet p)
    {
        final byte[] ip = p.ip();
        final int l4 = p.l4();
        final StringBuilder s = new StringBuilder().append(p.flow());
        if (p.protocol() == 6)
        {
            s.append(" seq=").append(HelperTestBench.get32(ip, l4 + 4)).append(" ack=").append(HelperTestBench.get32(ip, l4 + 8));
            final String text = HelperTestBench.text(ip).trim();
            if (!text.isEmpty())
            {
                s.append(" '").append(text.length() > 60 ? text.substring(0, 60) : text).append('\'');
            }
        }
        return s.toString();
    }

    /** Where a packet leaves, by its destination after PREROUTING: the inside network 10.77.5.0/24, else outside. */
    private static int route(final int destination)
    {
        return (destination & 0xFFFFFF00) == 0x0A4D0500 ? NatBed.INSIDE : NatBed.OUTSIDE;
    }
}
