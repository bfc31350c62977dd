package io.flowgate.app;

import io.flowgate.app.config.ConfigLoader;
import io.flowgate.app.config.FlowgateConfig;
import io.flowgate.app.config.NatLoader;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatRule;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.Table;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code flowgate config check FILE}: validates a configuration without touching anything (like {@code nft -c}). */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Configuration files.",
    subcommands = ConfigCommand.Check.class)
final class ConfigCommand
{
    @Command(name = "check", mixinStandardHelpOptions = true,
        description = "Validate a configuration file; print what it configures, or the first error with file, line and column.")
    static final class Check implements Callable<Integer>
    {
        @Parameters(paramLabel = "FILE", description = "configuration file (YAML)")
        Path file;

        @Override
        public Integer call()
        {
            final FlowgateConfig config = ConfigLoader.load(file);
            System.out.println(file + ": valid");
            System.out.println("dispatch " + config.dispatch().name().toLowerCase(java.util.Locale.ROOT) + ", workers on CPUs "
                + config.workers() + (config.dispatcher() >= 0 ? ", dispatcher on CPU " + config.dispatcher() : "")
                + ", burst " + config.burst() + ", rings of " + config.ringSize());
            for (final FlowgateConfig.PortSpec port : config.ports())
            {
                System.out.println("port " + port.name() + ": " + port.device() + ", " + port.queues() + " queue(s), mtu " + port.mtu()
                    + ", addresses " + port.addresses());
            }
            for (final FlowgateConfig.RouteSpec route : config.routes())
            {
                System.out.println("route " + route.to() + (route.via().isEmpty() ? "" : " via " + route.via().stream()
                    .map(java.net.InetAddress::getHostAddress).toList()) + (route.port() == null ? "" : " dev " + route.port()));
            }
            if (config.nat() != null)
            {
                System.out.println("nat filtering " + config.nat().filtering().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
                    + ", " + config.nat().rules().size() + " rule(s), " + config.nat().mappings().size() + " static mapping(s)");
                for (final NatConfig.StaticMapping mapping : config.nat().mappings())
                {
                    for (final String rule : NatLoader.describe(mapping))
                    {
                        System.out.println("nat " + rule + " # static " + mapping.origin());
                    }
                }
                for (final NatRule rule : config.nat().rules())
                {
                    System.out.println("nat " + NatLoader.describe(rule) + " # " + rule.origin());
                }
            }
            if (config.rules() != null)
            {
                int chains = 0;
                int rules = 0;
                for (final Table table : config.rules().tables())
                {
                    chains += table.chains().size();
                    for (final Chain chain : table.chains())
                    {
                        rules += chain.rules().size();
                    }
                }
                System.out.println("rules " + config.rulesFile() + ": " + config.rules().tables().size() + " table(s), " + chains
                    + " chain(s), " + rules + " rule(s)");
            }
            if (config.host() != null)
            {
                final io.flowgate.stack.StackConfig tcp = config.host().stack();
                System.out.println("host tcp " + tcp.congestion() + ", time-wait " + tcp.timeWaitNs() / 1_000_000_000L + "s, syncookies "
                    + tcp.synCookies() + ", syn-backlog " + tcp.synBacklog() + ", buffers " + tcp.sendBuffer() + "/" + tcp.receiveBuffer()
                    + ", sack " + tcp.sack() + ", timestamps " + tcp.timestamps() + ", window-scaling " + tcp.windowScaling());
                for (final io.flowgate.app.config.HostConfig.Service service : config.host().services())
                {
                    System.out.println("host service " + service.type().name().toLowerCase(java.util.Locale.ROOT) + " on "
                        + (service.address() == null ? "*" : service.address().getHostAddress()) + ":" + service.port());
                }
            }
            return 0;
        }
    }
}
