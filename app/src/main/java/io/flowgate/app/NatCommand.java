package io.flowgate.app;

import io.flowgate.app.mgmt.ManagementClient;
import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.pipeline.router.Router;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowgate nat stats}: the running router's NAT counters over its management socket, one line per
 * worker and a total: translations, null bindings, port exhaustion (the drops when a pool or a source has
 * no free port), source mappings reused, hand-off between workers.
 */
@Command(name = "nat", description = "The running flowgate's NAT counters: flowgate nat stats [--socket PATH].")
public final class NatCommand implements Callable<Integer>
{
    /** The management service's name. */
    public static final String SERVICE = "nat";

    @Parameters(index = "0", description = "stats")
    String operation;

    @Option(names = "--socket", description = "management socket (default /run/flowgate/flowgate.sock)")
    Path socket;

    @Override
    public Integer call() throws Exception
    {
        if (!"stats".equals(operation))
        {
            throw new IllegalArgumentException("unknown nat operation '" + operation + "' (stats)");
        }
        return ManagementClient.print(socket, List.of(SERVICE, operation));
    }

    /** The server side: {@code nat stats}. */
    static int serve(final Router router, final List<String> args, final ManagementServer.Response response) throws Exception
    {
        if (args.size() != 1 || !"stats".equals(args.get(0)))
        {
            throw new IllegalArgumentException("usage: nat stats");
        }
        final List<NatStats> workers = new ArrayList<>(router.natStatsPerWorker());
        final NatStats total = new NatStats();
        for (int w = 0; w < workers.size(); w++)
        {
            total.add(workers.get(w));
            response.out("worker=" + w + " " + workers.get(w));
        }
        response.out("total " + total);
        return 0;
    }
}
