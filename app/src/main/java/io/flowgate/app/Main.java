package io.flowgate.app;

import io.flowgate.app.config.RulesFileException;
import io.flowgate.app.ct.CtCommand;
import io.flowgate.app.nft.NftCommand;
import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.dpdk.Dpdk;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flowgate} command.
 * <p>
 * Every failure ends with exactly one line on stderr, {@code flowgate: error: <cause>}, and a non-zero exit
 * status: 2 for a refused argument or configuration, 1 for a failure at run time and for a refused nft ruleset (as
 * {@code nft -f}), also the configuration's {@code rules:} file.
 */
@Command(
    name = "flowgate",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Kernel-bypass stateful packet processor on DPDK.",
    subcommands = {RunCommand.class, FwdCommand.class, GenPcapCommand.class, ConfigCommand.class, CtCommand.class, NatCommand.class, OffloadCommand.class, NftCommand.class,
        SsCommand.class, TcpCommand.class})
public final class Main
{
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_FAILURE = 1;

    private Main()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    static int execute(final String[] args)
    {
        final CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
        {
            final String cause = ex instanceof DpdkException || ex instanceof IllegalArgumentException
                || ex instanceof IllegalStateException ? ex.getMessage() : ex.toString();
            System.err.println("flowgate: error: " + cause);
            return ex instanceof IllegalArgumentException && !(ex instanceof RulesFileException) ? EXIT_USAGE : EXIT_FAILURE;
        });
        cli.setParameterExceptionHandler((ex, a) ->
        {
            System.err.println("flowgate: error: " + ex.getMessage() + " (see flowgate " + ex.getCommandLine().getCommandName()
                + " --help)");
            return EXIT_USAGE;
        });
        try
        {
            return cli.execute(args);
        }
        catch (final LinkageError ex)
        {
            // The DPDK shim or DPDK itself could not be loaded (ExceptionInInitializerError wraps the cause).
            final Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
            System.err.println("flowgate: error: " + cause.getMessage());
            return EXIT_FAILURE;
        }
    }

    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String own = Main.class.getPackage().getImplementationVersion();
            String dpdk;
            try
            {
                dpdk = "DPDK shim built against " + Dpdk.buildVersion() + ", runtime " + Dpdk.runtimeVersion();
            }
            catch (final UnsatisfiedLinkError | ExceptionInInitializerError ex)
            {
                dpdk = "DPDK unavailable: " + ex.getMessage();
            }
            return new String[] {"flowgate " + (own == null ? "dev" : own), dpdk, "Java " + Runtime.version()};
        }
    }
}
