package io.flowgate.app;

import io.flowgate.app.mgmt.ManagementClient;
import io.flowgate.app.mgmt.ManagementServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowgate offload status|on|off}: the running router's XDP fast path (docs/xdp-fastpath.md). {@code status}: the
 * program, its mode per interface, fg_stats, the agent's counters and the flow map's use; {@code on}/{@code off}: the switch
 * (off: every packet through Java, the connection table intact).
 */
@Command(name = "offload", description = "The running flowgate's XDP fast path: flowgate offload status|on|off [--socket PATH].")
public final class OffloadCommand implements Callable<Integer>
{
    /** The management service's name. */
    public static final String SERVICE = "offload";

    @Parameters(index = "0", description = "status, on or off")
    String operation;

    @Option(names = "--socket", description = "management socket (default /run/flowgate/flowgate.sock)")
    Path socket;

    @Override
    public Integer call() throws Exception
    {
        if (!List.of("status", "on", "off").contains(operation))
        {
            throw new IllegalArgumentException("unknown offload operation '" + operation + "' (status, on, off)");
        }
        return ManagementClient.print(socket, List.of(SERVICE, operation));
    }

    /** The server side. */
    static int serve(final OffloadRuntime offload, final List<String> args, final ManagementServer.Response response) throws Exception
    {
        if (args.size() != 1)
        {
            throw new IllegalArgumentException("usage: offload status|on|off");
        }
        switch (args.get(0))
        {
            case "status" ->
            {
                for (final String line : offload.status())
                {
                    response.out(line);
                }
            }
            case "on" ->
            {
                offload.enabled(true);
                response.out("offload on");
            }
            case "off" ->
            {
                offload.enabled(false);
                response.out("offload off");
            }
            default -> throw new IllegalArgumentException("usage: offload status|on|off");
        }
        return 0;
    }
}
