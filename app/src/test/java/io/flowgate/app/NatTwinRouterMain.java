package io.flowgate.app;

import io.flowgate.app.config.ConfigLoader;
import io.flowgate.app.config.FlowgateConfig;
import java.nio.file.Path;
import java.util.Collections;

/**
 * {@code flowgate run --config FILE --socket PATH --stats-interval 1} for a two-CPU machine that needs more workers than it has
 * free CPUs: the configuration's workers are replaced by {@code COUNT} workers sharing the configuration's first
 * worker CPU (the loader refuses a CPU listed twice; the router accepts it, as its own tests do). Used by
 * {@link RealHostsNatWorkersIT} for two workers behind a software dispatcher on CPU 0.
 * <p>
 * Usage: {@code NatTwinRouterMain FILE SOCKET COUNT}.
 */
final class NatTwinRouterMain
{
    private NatTwinRouterMain()
    {
    }

    public static void main(final String[] args)
    {
        final FlowgateConfig loaded = ConfigLoader.load(Path.of(args[0]));
        final int count = Integer.parseInt(args[2]);
        final FlowgateConfig config = new FlowgateConfig(loaded.eal(), loaded.dispatch(), Collections.nCopies(count, loaded.workers().get(0)),
            loaded.dispatcher(), loaded.burst(), loaded.ringSize(), loaded.ports(), loaded.routes(), loaded.neighbours(), loaded.conntrack(),
            loaded.nat(), loaded.rulesFile(), loaded.rules());
        System.exit(new RouterRun(config, 0, 0, 1).socket(Path.of(args[1])).run());
    }
}
