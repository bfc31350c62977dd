package io.flowgate.app;

import static io.flowgate.app.ct.InMemoryConntrackControl.ipv4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.ct.InMemoryConntrackControl;
import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.tcp.TcpState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code flowgate ct} as a separate process against a {@link ManagementServer} in this JVM
 * serving an {@link InMemoryConntrackControl} (a test double of our own ConntrackControl interface): the
 * shaded jar carries everything, exit statuses and streams are a real process's, Ctrl-C ends an event
 * stream with conntrack's summary line.
 */
class CtCliIT
{
    private static final int TIMEOUT_S = 60;

    @TempDir
    Path dir;

    private Path socket;
    private InMemoryConntrackControl control;
    private ManagementServer server;

    @BeforeEach
    void start() throws Exception
    {
        socket = dir.resolve("flowgate.sock");
        control = new InMemoryConntrackControl();
        final CtEntry web = ipv4(6, "192.0.2.1", "198.51.100.7", 40000, 443);
        web.tcpState = TcpState.ESTABLISHED;
        web.status = CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED;
        web.timeoutSeconds = 431999;
        control.add(web);
        server = ManagementServer.start(socket, control);
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    @Test
    void shouldListThroughTheSocketAsAProcess() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, List.of("ct", "-L", "-p", "tcp", "--socket", socket.toString()));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        assertEquals(List.of("tcp      6 431999 ESTABLISHED src=192.0.2.1 dst=198.51.100.7 sport=40000 dport=443 packets=0 bytes=0 "
            + "src=198.51.100.7 dst=192.0.2.1 sport=443 dport=40000 packets=0 bytes=0 [ASSURED] mark=0 use=1"), cli.stdout);
        assertEquals(List.of("conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown."), cli.stderr);
    }

    @Test
    void shouldFailInOneLineWithoutAServer() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(TIMEOUT_S, List.of("ct", "count", "--socket", dir.resolve("none.sock").toString()));
        assertEquals(1, cli.process.exitValue(), cli.toString());
        assertEquals(1, cli.stderr.size(), cli.toString());
        assertTrue(cli.stderr.get(0).startsWith("flowgate: error: cannot reach flowgate on "), cli.toString());
    }

    @Test
    void shouldPrintTheEventCountWhenInterrupted() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.start(List.of("ct", "events", "--socket", socket.toString()));
        final long deadline = System.nanoTime() + TIMEOUT_S * 1_000_000_000L;
        while (control.subscriptions.isEmpty())
        {
            assertTrue(System.nanoTime() < deadline, "no subscription:\n" + cli);
            Thread.sleep(10);
        }
        final CtEvent event = new CtEvent();
        event.type = CtEvent.DESTROY;
        event.entry.copyFrom(control.entries.get(0));
        control.publish(event);
        assertTrue(cli.awaitLine("[DESTROY] tcp      6 431999 ESTABLISHED src=192.0.2.1", TIMEOUT_S), cli.toString());
        final int exit = cli.interrupt(TIMEOUT_S);
        assertTrue(exit == 0 || exit == 130, "exit " + exit + "\n" + cli);
        assertEquals(List.of("conntrack v1.4.7 (conntrack-tools): 1 flow events have been shown."), cli.stderr, cli.toString());
        while (!control.subscriptions.get(0).closed)
        {
            assertTrue(System.nanoTime() < deadline, "subscription still open after the client left");
            Thread.sleep(10);
        }
    }
}
