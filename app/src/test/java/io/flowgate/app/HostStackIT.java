package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * flowgate's host stack against a real Linux host ({@link HostBed}): curl, nc, socat and python's
 * http.server talk TCP to flowgate's services and to flowgate as a client, over IPv4 and IPv6, clean and
 * under loss and reordering; what flowgate put on the wire is read back from tshark captures on the Linux side.
 * Every transfer is bounded by {@code timeout}; the contents are checked end to end (PATTERN or sha256).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostStackIT
{
    private static final long MB = 1_000_000;
    private static final long BULK = 100 * MB;

    private static HostBed bed;

    @BeforeAll
    static void start() throws Exception
    {
        bed = new HostBed("s");
        bed.start("");
    }

    @AfterAll
    static void stop() throws Exception
    {
        try
        {
            if (bed != null && bed.flowgate != null && bed.flowgate.process.isAlive())
            {
                bed.flowgate.stopCleanly("route summary ");
            }
        }
        finally
        {
            if (bed != null)
            {
                bed.close();
            }
        }
    }

    /** Downloads http://ADDRESS/bytes/N from flowgate with curl on the Linux host, checks it and removes it. */
    private static void download(final String address, final long bytes, final int seconds) throws Exception
    {
        final Path out = bed.dir.resolve("download-" + bytes);
        final String code = bed.onHost("timeout " + seconds + " curl -sS -g --max-time " + (seconds - 2) + " -o " + out
            + " -w '%{http_code} %{size_download}' http://" + address + "/bytes/" + bytes, seconds + 5);
        assertEquals("200 " + bytes, code.trim(), "curl status and size from " + address);
        assertEquals(-1, HostBed.patternMismatch(out, 0), "the body is the PATTERN from offset 0");
        Files.deleteIfExists(out);
    }

    @Test
    @Order(1)
    void shouldServeHealthAndTheRootPageOverBothFamilies() throws Exception
    {
        assertEquals("ok", bed.onHost("timeout 10 curl -sS --max-time 8 http://" + HostBed.FG4 + "/health").trim());
        assertEquals("ok", bed.onHost("timeout 10 curl -sS -g --max-time 8 http://[" + HostBed.FG6 + "]/health").trim());
        final String root = bed.onHost("timeout 10 curl -sS -i --max-time 8 http://" + HostBed.FG4 + "/");
        assertTrue(root.startsWith("HTTP/1.1 200"), root);
        assertTrue(root.toLowerCase().contains("content-length:"), root);
    }

    @Test
    @Order(2)
    void shouldServeThePatternOverIpv4AndIpv6() throws Exception
    {
        download(HostBed.FG4, MB, 20);
        download("[" + HostBed.FG6 + "]", MB, 20);
        download(HostBed.FG4, 50 * MB, 60);
    }

    @Test
    @Order(3)
    void shouldKeepTheConnectionAliveAcrossRequests() throws Exception
    {
        final String out = bed.onHost("timeout 15 curl -sS -v --max-time 12 -o /dev/null -o /dev/null http://" + HostBed.FG4
            + "/bytes/1000 http://" + HostBed.FG4 + "/health 2>&1");
        assertTrue(out.contains("Re-using existing connection") || out.contains("Reusing existing connection"), out);
    }

    @Test
    @Order(4)
    void shouldEchoWhatNcSendsAndDiscardOverIpv6() throws Exception
    {
        final Path sent = bed.dir.resolve("echo-sent");
        final Path back = bed.dir.resolve("echo-back");
        Testbed.sh("head -c 5000000 /dev/urandom > " + sent);
        bed.onHost("timeout 30 nc -N -w 10 " + HostBed.FG4 + " 7 < " + sent + " > " + back);
        assertEquals(HostBed.sha256(sent), HostBed.sha256(back), "echo returned every byte in order");
        // IPv6 with socat: the same through the other family and another client.
        bed.onHost("timeout 30 socat -t 10 -u OPEN:" + sent + " TCP6:[" + HostBed.FG6 + "]:9");
    }

    @Test
    @Order(4)
    void shouldSendThePatternFromChargen() throws Exception
    {
        final Path chargen = bed.dir.resolve("chargen");
        bed.onHost("timeout 30 socat -u TCP:" + HostBed.FG4 + ":19 SYSTEM:'head -c 3000000 > " + chargen + "' || true");
        assertEquals(3_000_000L, Files.size(chargen), "socat read 3 MB of chargen");
        assertEquals(-1, HostBed.patternMismatch(chargen, 0), "chargen sends the PATTERN");
    }

    @Test
    @Order(5)
    void shouldFetchFromALinuxHttpServerAsAClient() throws Exception
    {
        final Path www = bed.dir.resolve("www");
        Files.createDirectories(www);
        Testbed.sh("head -c 8000000 /dev/urandom > " + www.resolve("file"));
        final Process server = new ProcessBuilder("ip", "netns", "exec", bed.host, "timeout", "60", "python3", "-m", "http.server",
            "--bind", HostBed.HOST4, "--directory", www.toString(), "8080").redirectErrorStream(true)
            .redirectOutput(bed.dir.resolve("http.server.log").toFile()).start();
        try
        {
            Testbed.sh("for i in $(seq 50); do ip netns exec " + bed.host + " ss -ltn | grep -q ':8080 ' && exit 0; sleep 0.1; done; exit 1");
            final Path fetched = bed.dir.resolve("fetched");
            final String out = bed.cli(60, "tcp", "fetch", "http://" + HostBed.HOST4 + ":8080/file", "-o", fetched.toString());
            final String sha = HostBed.sha256(www.resolve("file"));
            assertTrue(out.contains(sha), "flowgate tcp fetch printed the file's sha256:\n" + out);
            assertEquals(sha, HostBed.sha256(fetched), "the fetched file");
        }
        finally
        {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(6)
    void shouldSendThePatternToALinuxListener() throws Exception
    {
        final Path received = bed.dir.resolve("received");
        final Process sink = new ProcessBuilder("ip", "netns", "exec", bed.host, "timeout", "60", "socat", "-u", "TCP-LISTEN:9009,reuseaddr",
            "OPEN:" + received + ",creat,trunc").redirectErrorStream(true).start();
        try
        {
            Testbed.sh("for i in $(seq 50); do ip netns exec " + bed.host + " ss -ltn | grep -q ':9009 ' && exit 0; sleep 0.1; done; exit 1");
            final String out = bed.cli(60, "tcp", "send", HostBed.HOST4, "9009", "--bytes", "20000000");
            assertTrue(sink.waitFor(30, TimeUnit.SECONDS), "socat saw the FIN");
            assertTrue(out.contains("20000000"), out);
            assertEquals(20_000_000L, Files.size(received));
            assertEquals(-1, HostBed.patternMismatch(received, 0), "flowgate tcp send sends the PATTERN");
        }
        finally
        {
            sink.destroy();
            sink.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** What the SYN-ACK from flowgate offers (MSS for a 1500 MTU, SACK_PERM, timestamps, window scale), read by tshark. */
    @Test
    @Order(7)
    void shouldOfferLinuxsOptionsInTheSynAck() throws Exception
    {
        final Path pcap = bed.dir.resolve("synack.pcap");
        final Process capture = bed.capture(pcap, 4, "tcp port 80");
        try
        {
            download(HostBed.FG4, 200_000, 15);
        }
        finally
        {
            HostBed.stop(capture);
        }
        final List<String> synAck = HostBed.tshark(pcap, "ip.src == " + HostBed.FG4 + " && tcp.flags.syn == 1 && tcp.flags.ack == 1",
            "tcp.options.mss_val", "tcp.options.sack_perm", "tcp.options.timestamp.tsval", "tcp.options.wscale.shift");
        assertEquals(1, synAck.size(), "one SYN-ACK: " + synAck);
        final String[] options = synAck.get(0).split(",", -1);
        assertEquals("1460", options[0], "MSS: " + synAck);
        assertTrue(!options[1].isEmpty(), "SACK permitted: " + synAck);
        assertTrue(!options[2].isEmpty() && !options[2].equals("0"), "timestamps: " + synAck);
        assertTrue(!options[3].isEmpty(), "window scale: " + synAck);
        final List<String> data = HostBed.tshark(pcap, "ip.src == " + HostBed.FG4 + " && tcp.len > 0", "tcp.options.timestamp.tsval");
        assertTrue(data.size() > 100, "data segments: " + data.size());
        assertTrue(data.stream().allMatch(tsval -> !tsval.isEmpty()), "every data segment carries a timestamp");
    }

    /**
     * 100 MB from Linux into flowgate's discard service under 1% loss and 5% reordering on the way to flowgate
     * ({@link HostBed#impair} on the wire: this kernel has no netem): flowgate counted every byte, and as the
     * receiver it answered the holes with SACK blocks; then 20 MB through echo under the same impairment come
     * back equal (sha256: the order and content of what flowgate reassembled).
     */
    @Test
    @Order(8)
    void shouldCarry100MegabytesIntoFlowgateUnderLossAndReordering() throws Exception
    {
        final Path sent = bed.dir.resolve("bulk-sent");
        final Path back = bed.dir.resolve("bulk-back");
        Testbed.sh("head -c " + BULK + " /dev/urandom > " + sent);
        final Path pcap = bed.dir.resolve("up.pcap");
        final long discardedBefore = bed.serviceStat("discard_bytes");
        bed.impair(bed.wire, bed.wireToFw, 10, 5);
        final Process capture = bed.capture(pcap, 15, "tcp port 9");
        try
        {
            final long started = System.nanoTime();
            bed.onHost("timeout 60 socat -u OPEN:" + sent + " TCP:" + HostBed.FG4 + ":9", 65);
            System.out.printf("100 MB into discard under loss and reordering: %.1f s%n", (System.nanoTime() - started) / 1e9);
            final Path part = bed.dir.resolve("bulk-part");
            Testbed.sh("head -c 20000000 " + sent + " > " + part);
            try
            {
                bed.onHost("timeout 60 nc -N -w 20 " + HostBed.FG4 + " 7 < " + part + " > " + back, 65);
            }
            catch (final IllegalStateException ex)
            {
                throw new AssertionError(ex.getMessage() + "; received back " + Files.size(back) + " bytes; flowgate's sockets:\n" + bed.sockets(), ex);
            }
            assertEquals(HostBed.sha256(part), HostBed.sha256(back), "echo returned the same 20 MB");
        }
        finally
        {
            HostBed.stop(capture);
            bed.clearImpairment(bed.wire, bed.wireToFw);
        }
        long discarded = -1;
        for (int i = 0; i < 50 && discarded != BULK; i++)
        {
            discarded = bed.serviceStat("discard_bytes") - discardedBefore;
            Thread.sleep(100);
        }
        assertEquals(BULK, discarded, "discard counted 100 MB");
        Files.deleteIfExists(sent);
        Files.deleteIfExists(back);
        final List<String> sacks = HostBed.tshark(pcap, "ip.src == " + HostBed.FG4 + " && tcp.options.sack_le", "tcp.options.sack_le");
        assertTrue(!sacks.isEmpty(), "flowgate's receiver sent SACK blocks for the holes the loss made");
    }

    /**
     * 100 MB from flowgate to curl under 1% loss and 5% reordering on the way
     * to the Linux host: the body is the PATTERN, and flowgate
     * as the sender retransmitted, fast retransmissions among them (tshark's analysis).
     */
    @Test
    @Order(9)
    void shouldCarry100MegabytesOutOfFlowgateUnderLossWithFastRetransmissions() throws Exception
    {
        final Path pcap = bed.dir.resolve("down.pcap");
        bed.impair(bed.wire, bed.wireToHost, 10, 5);
        final Process capture = bed.capture(pcap, 15, "tcp port 80");
        try
        {
            download(HostBed.FG4, BULK, 90);
        }
        finally
        {
            HostBed.stop(capture);
            bed.clearImpairment(bed.wire, bed.wireToHost);
        }
        final String fromFlowgate = "ip.src == " + HostBed.FG4 + " && ";
        final int segments = HostBed.tshark(pcap, fromFlowgate + "tcp.len > 0", "frame.number").size();
        assertTrue(!HostBed.tshark(pcap, fromFlowgate + "tcp.analysis.retransmission", "frame.number").isEmpty(),
            "retransmissions among the " + segments + " data segments captured");
        assertTrue(!HostBed.tshark(pcap, fromFlowgate + "tcp.analysis.fast_retransmission", "frame.number").isEmpty(),
            "fast retransmissions from flowgate");
    }
}
