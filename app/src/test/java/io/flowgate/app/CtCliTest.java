package io.flowgate.app;

import static io.flowgate.app.ct.InMemoryConntrackControl.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.ct.ConntrackFormat;
import io.flowgate.app.ct.InMemoryConntrackControl;
import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowgate ct ...} end to end in one JVM: a {@link ManagementServer} on a temporary socket serving an
 * {@link InMemoryConntrackControl} (a test double of our own ConntrackControl interface), and
 * {@code Main.execute} as the client, with stdout and stderr captured.
 */
@Timeout(30)
class CtCliTest
{
    @TempDir
    Path dir;

    private Path socket;
    private InMemoryConntrackControl control;
    private ManagementServer server;

    @BeforeEach
    void start() throws Exception
    {
        socket = dir.resolve("run/flowgate.sock");
        control = new InMemoryConntrackControl();
        final CtEntry web = ipv4(6, "10.0.0.1", "10.0.0.2", 1234, 80);
        web.tcpState = TcpState.ESTABLISHED;
        web.status = CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED;
        web.timeoutSeconds = 431999;
        web.packets[0] = 3;
        web.bytes[0] = 180;
        control.add(web);
        final CtEntry dns = ipv4(17, "10.0.0.1", "10.0.0.3", 5353, 53);
        dns.timeoutSeconds = 29;
        dns.mark = 7;
        control.add(dns);
        server = ManagementServer.start(socket, control);
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    private record Result(int exit, String out, String err)
    {
    }

    private Result ct(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("ct"));
        all.addAll(List.of(args));
        all.add("--socket");
        all.add(socket.toString());
        return run(all.toArray(String[]::new));
    }

    private static synchronized Result run(final String... args)
    {
        final PrintStream oldOut = System.out;
        final PrintStream oldErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        try
        {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            final int exit = Main.execute(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void shouldListEntriesAsConntrackDoesWithTheSummaryOnStderr()
    {
        final Result all = ct("list");
        assertEquals(0, all.exit, all.err);
        assertEquals("tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 packets=3 bytes=180 "
            + "src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1234 packets=0 bytes=0 [ASSURED] mark=0 use=1\n"
            + "udp      17 29 src=10.0.0.1 dst=10.0.0.3 sport=5353 dport=53 packets=0 bytes=0 [UNREPLIED] "
            + "src=10.0.0.3 dst=10.0.0.1 sport=53 dport=5353 packets=0 bytes=0 mark=7 use=1\n", all.out);
        assertEquals("conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n", all.err);

        final Result udp = ct("-L", "-p", "udp", "-o", "extended");
        assertEquals(0, udp.exit);
        assertTrue(udp.out.startsWith("ipv4     2 udp      17 29 src=10.0.0.1"), udp.out);
        assertEquals(1, udp.out.lines().count());
        assertEquals(ConntrackFormat.summary(1, "shown") + "\n", udp.err);
    }

    @Test
    void shouldGetOneEntryOrSayItDoesNotExist()
    {
        final Result found = ct("get", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1234", "--dport", "80");
        assertEquals(0, found.exit);
        assertTrue(found.out.endsWith("[ASSURED] mark=0 use=2\n"), found.out);
        final Result byReply = ct("-G", "-p", "tcp", "-s", "10.0.0.2", "-d", "10.0.0.1", "--sport", "80", "--dport", "1234");
        assertEquals(1, byReply.exit);
        assertEquals("", byReply.out);
        assertEquals("conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n", byReply.err);
        final Result missing = ct("-G", "-p", "tcp", "-s", "10.0.0.1", "-d", "10.0.0.2", "--sport", "1", "--dport", "80");
        assertEquals(1, missing.exit);
        assertEquals("", missing.out);
        assertEquals("conntrack v1.4.7 (conntrack-tools): Operation failed: such conntrack doesn't exist\n", missing.err);
    }

    @Test
    void shouldCarryDeleteFlushAndMarkToTheControl()
    {
        final Result deleted = ct("delete", "-p", "udp");
        assertEquals(0, deleted.exit);
        assertEquals(ConntrackFormat.summary(1, "deleted") + "\n", deleted.err);
        assertEquals(1, control.entries.size());
        assertEquals(6, control.entries.get(0).protocol);

        final Result none = ct("-D", "-p", "udp");
        assertEquals(1, none.exit);
        assertEquals(ConntrackFormat.summary(0, "deleted") + "\n", none.err);

        final Result marked = ct("update", "-p", "tcp", "-m", "42");
        assertEquals(0, marked.exit, marked.err);
        assertEquals(42, control.lastMark);
        assertEquals(42, control.entries.get(0).mark);
        assertEquals(ConntrackFormat.summary(1, "updated") + "\n", marked.err);

        final Result flushed = ct("-F");
        assertEquals(0, flushed.exit);
        assertEquals(1, control.flushes);
        assertEquals("conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n", flushed.err);
        assertEquals("0\n", ct("-C").out);
    }

    @Test
    void shouldChangeManyEntriesInBatchesAndKeepUnmaskedMarkBits()
    {
        for (int i = 0; i < 10_000; i++)
        {
            final CtEntry entry = ipv4(17, "10.2.0.1", "10.3.0.1", 1024 + i, 53);
            entry.mark = i & 1;
            control.add(entry);
        }
        final Result marked = ct("-U", "-s", "10.2.0.1", "-m", "0x100/0xff00");
        assertEquals(0, marked.exit, marked.err);
        assertEquals(ConntrackFormat.summary(10_000, "updated") + "\n", marked.err);
        assertEquals(10_000, marked.out.lines().filter(l -> l.contains(" mark=256 use=2") || l.contains(" mark=257 use=2")).count());
        assertEquals(0x101, control.entries.get(3).mark);
        assertEquals(0x100, control.entries.get(4).mark);
        assertEquals(7, control.entries.get(1).mark, "entries outside the filter keep their mark");

        final Result deleted = ct("-D", "-m", "0x100/0xff00");
        assertEquals(0, deleted.exit, deleted.err);
        assertEquals(ConntrackFormat.summary(10_000, "deleted") + "\n", deleted.err);
        assertEquals(10_000, deleted.out.lines().count());
        assertEquals(2, control.entries.size());
    }

    @Test
    void shouldCountAndPrintOneStatsLinePerWorker()
    {
        assertEquals("2\n", ct("count").out);
        final CtStats first = new CtStats();
        first.insert = 5;
        first.found = 9;
        control.stats.add(first);
        control.stats.add(new CtStats());
        final Result stats = ct("-S");
        assertEquals(0, stats.exit);
        assertEquals("cpu=0   \tfound=9 invalid=0 insert=5 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 "
            + "clash_resolve=0 chaintoolong=0 \n"
            + "cpu=1   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 "
            + "clash_resolve=0 chaintoolong=0 \n", stats.out);
    }

    @Test
    void shouldStreamFilteredEventsUntilTheClientStops() throws Exception
    {
        final CompletableFuture<Result> client = CompletableFuture.supplyAsync(
            () -> ct("events", "-p", "udp", "-e", "NEW,DESTROY", "--max-events", "2"));
        awaitSubscription();
        publish(CtEvent.NEW, control.entries.get(0));
        publish(CtEvent.NEW, control.entries.get(1));
        publish(CtEvent.UPDATE, control.entries.get(1));
        publish(CtEvent.DESTROY, control.entries.get(1));
        final Result result = client.get(10, TimeUnit.SECONDS);
        assertEquals(0, result.exit, result.err);
        final List<String> lines = result.out.lines().toList();
        assertEquals(2, lines.size(), result.out);
        assertTrue(lines.get(0).startsWith("    [NEW] udp      17 29 src=10.0.0.1"), lines.get(0));
        assertTrue(lines.get(1).startsWith("[DESTROY] udp      17 29 src=10.0.0.1"), lines.get(1));
        assertEquals(ConntrackFormat.eventsSummary(2) + "\n", result.err);
        awaitUnsubscribed();
    }

    @Test
    void shouldEndTheEventStreamWithTheCountAndOneErrorLineWhenFlowgateStops() throws Exception
    {
        final CompletableFuture<Result> client = CompletableFuture.supplyAsync(() -> ct("-E"));
        awaitSubscription();
        server.close();
        final Result result = client.get(10, TimeUnit.SECONDS);
        assertEquals(Main.EXIT_FAILURE, result.exit);
        assertEquals("", result.out);
        final List<String> err = result.err.lines().toList();
        assertEquals(2, err.size(), result.err);
        assertEquals(ConntrackFormat.eventsSummary(0), err.get(0));
        assertTrue(err.get(1).startsWith("flowgate: error: flowgate closed the management connection"), err.get(1));
    }

    @Test
    void shouldEndTheSubscriptionWhenARawClientCloses() throws Exception
    {
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(socket)))
        {
            raw.write(ByteBuffer.wrap("ct events -o timestamp\n".getBytes(StandardCharsets.UTF_8)));
            final BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(raw), StandardCharsets.UTF_8));
            assertEquals("# subscribed", reader.readLine());
            final CtEvent event = new CtEvent();
            event.type = CtEvent.UPDATE;
            event.timestampMicros = 1_700_000_000_123_456L;
            event.entry.copyFrom(control.entries.get(0));
            control.publish(event);
            assertTrue(reader.readLine().startsWith("1 [1700000000.123456]\t [UPDATE] tcp      6 431999 ESTABLISHED"));
        }
        awaitUnsubscribed();
    }

    @Test
    void shouldCountEventsASlowClientLosesWithoutStallingThePublisher() throws Exception
    {
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(socket)))
        {
            raw.write(ByteBuffer.wrap("ct events\n".getBytes(StandardCharsets.UTF_8)));
            final BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(raw), StandardCharsets.UTF_8));
            assertEquals("# subscribed", reader.readLine());
            final long start = System.nanoTime();
            for (int i = 0; i < 100_000; i++)
            {
                publish(CtEvent.UPDATE, control.entries.get(i & 1));
            }
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "the publisher waited for the client");
            long events = 0;
            String warning = null;
            while (warning == null)
            {
                final String line = reader.readLine();
                if (line == null)
                {
                    break;
                }
                if (line.startsWith("1 "))
                {
                    events++;
                }
                else if (line.startsWith("2 "))
                {
                    warning = line;
                }
            }
            assertTrue(warning != null && warning.matches("2 conntrack v1.4.7 \\(conntrack-tools\\): WARNING: \\d+ events lost .*"), warning);
            assertTrue(events > 0 && events < 100_000, "events before the warning: " + events);
        }
        awaitUnsubscribed();
    }

    @Test
    void shouldAnswerABadRequestWithAnErrorLineAndStatus() throws Exception
    {
        assertEquals(List.of("! unknown protocol: bogus", "= 1"), rawRequest("ct -L -p bogus"));
        assertEquals(List.of("! unknown service: nft (known: ct)", "= 1"), rawRequest("nft list ruleset"));
        assertEquals(List.of("! --socket and --max-events are client options", "= 1"), rawRequest("ct -L --socket /etc/passwd"));
        assertEquals(List.of("1 2", "= 0"), rawRequest("ct count"));
    }

    @Test
    void shouldRefuseBadOptionsWithOneErrorLine()
    {
        final Result bad = ct("list", "--state", "OPEN");
        assertEquals(Main.EXIT_USAGE, bad.exit);
        assertEquals("", bad.out);
        assertEquals("flowgate: error: unknown TCP state: OPEN\n", bad.err);
        final Result none = ct("-p", "tcp");
        assertEquals(Main.EXIT_USAGE, none.exit);
        assertTrue(none.err.startsWith("flowgate: error: no command"), none.err);
    }

    @Test
    void shouldFailInOneLineWhenNothingListensOnTheSocket()
    {
        final Result result = run("ct", "list", "--socket", dir.resolve("nobody.sock").toString());
        assertEquals(Main.EXIT_FAILURE, result.exit);
        assertEquals("", result.out);
        assertEquals(1, result.err.lines().count(), result.err);
        assertTrue(result.err.startsWith("flowgate: error: cannot reach flowgate on " + dir.resolve("nobody.sock")), result.err);
    }

    @Test
    void shouldRefuseASecondServerButReplaceAStaleSocket() throws Exception
    {
        final IllegalStateException live = assertThrows(IllegalStateException.class,
            () -> ManagementServer.start(socket, new InMemoryConntrackControl()));
        assertTrue(live.getMessage().contains("another process answers"), live.getMessage());

        final Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale));
        try (ManagementServer second = ManagementServer.start(stale, control))
        {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(stale)));
            assertEquals(List.of("1 2", "= 0"), rawRequest(stale, "ct -C"));
        }
        assertFalse(Files.exists(stale));
    }

    private List<String> rawRequest(final String line) throws Exception
    {
        return rawRequest(socket, line);
    }

    private static List<String> rawRequest(final Path path, final String line) throws Exception
    {
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            raw.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            final BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(raw), StandardCharsets.UTF_8));
            return reader.lines().toList();
        }
    }

    private void publish(final int type, final CtEntry entry)
    {
        final CtEvent event = new CtEvent();
        event.type = type;
        event.entry.copyFrom(entry);
        control.publish(event);
    }

    private void awaitSubscription() throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (control.subscriptions.isEmpty())
        {
            assertTrue(System.nanoTime() < deadline, "no subscription");
            Thread.sleep(5);
        }
    }

    private void awaitUnsubscribed() throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!control.subscriptions.get(0).closed)
        {
            assertTrue(System.nanoTime() < deadline, "subscription still open after the client left");
            Thread.sleep(5);
        }
    }
}
