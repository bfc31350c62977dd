package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.mgmt.ManagementClient;
import io.flowgate.app.mgmt.ManagementServer;
import java.nio.file.Path;
import io.flowgate.xdp.bpf.XdpProgram;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offload management service over a loaded (unattached) XDP program: status, the switch, and the agent hooks. */
class OffloadRuntimeTest
{
    /** One request through a real management socket, as the CLI sends it; the output lines. */
    private static List<String> request(final Path socket, final String operation) throws Exception
    {
        final List<String> lines = new ArrayList<>();
        try (ManagementClient client = ManagementClient.connect(socket))
        {
            client.request(List.of(OffloadCommand.SERVICE, operation), new ManagementClient.Lines()
            {
                @Override
                public boolean out(final String line)
                {
                    lines.add(line);
                    return true;
                }

                @Override
                public void err(final String line)
                {
                    lines.add("err " + line);
                }
            });
        }
        return lines;
    }

    @Test
    void shouldReportAndSwitchTheProgramAndTheAgent(@TempDir final Path dir) throws Exception
    {
        final List<String> agentCalls = new ArrayList<>();
        final Path socket = dir.resolve("fg.sock");
        try (OffloadRuntime runtime = new OffloadRuntime(XdpProgram.load(1024), 1024))
        {
            final ManagementServer server = new ManagementServer(socket)
                .register(OffloadCommand.SERVICE, (args, response) -> OffloadCommand.serve(runtime, args, response)).start();
            runtime.agent(new OffloadRuntime.Agent()
            {
                @Override
                public void enabled(final boolean on)
                {
                    agentCalls.add("enabled " + on);
                }

                @Override
                public boolean foldNow(final long timeoutMs)
                {
                    agentCalls.add("fold");
                    return true;
                }

                @Override
                public String counters()
                {
                    return "inserted=0";
                }

                @Override
                public void close()
                {
                    agentCalls.add("close");
                }
            });
            try
            {
                final List<String> status = request(socket, "status");
                assertTrue(status.get(0).startsWith("offload on program fg_fastpath id "), status.toString());
                assertTrue(status.contains("flows map 0/1024"), status.toString());
                assertTrue(status.contains("agent inserted=0"), status.toString());
                assertTrue(status.contains("fg_stats rx=0 fast=0 miss=0 tcp_flags=0 fragment=0 ttl=0 mtu=0 other=0 redirect_failed=0 xsk_missing=0"),
                    status.toString());

                assertEquals(List.of("offload off"), request(socket, "off"));
                assertFalse(runtime.enabled());
                assertTrue(request(socket, "status").get(0).startsWith("offload off program fg_xsk"));
                assertEquals(List.of("offload on"), request(socket, "on"));
                assertTrue(runtime.enabled());
                assertTrue(runtime.foldNow(100));
                assertTrue(assertThrows(IllegalStateException.class, () -> request(socket, "sideways")).getMessage()
                    .contains("usage: offload status|on|off"));
            }
            finally
            {
                server.close();
            }
        }
        assertEquals(List.of("enabled false", "enabled true", "fold", "close"), agentCalls);
    }
}
