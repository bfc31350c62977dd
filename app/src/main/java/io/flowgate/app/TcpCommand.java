package io.flowgate.app;

import io.flowgate.app.host.TcpService;
import io.flowgate.app.mgmt.ManagementClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flowgate tcp stats | fetch URL [-o FILE] | send HOST PORT --bytes N}: the host stack's counters (nstat
 * names), and a client through the stack: an HTTP GET (prints status, bytes, sha256, seconds) or N bytes of the
 * pattern (byte i is i % 251) to a peer (prints bytes and seconds). The daemon does the work and writes FILE.
 */
@Command(name = "tcp", description = "The running flowgate's host TCP: tcp stats | tcp fetch URL [-o FILE] | tcp send HOST PORT --bytes N")
public final class TcpCommand implements Callable<Integer>
{
    @Parameters(index = "0", description = "stats, fetch or send")
    String operation;

    @Parameters(index = "1..*", arity = "0..*", description = "URL for fetch; HOST PORT for send")
    List<String> operands = new ArrayList<>();

    @Option(names = "-o", description = "fetch: write the body to FILE (a path on the daemon's host)")
    Path output;

    @Option(names = "--bytes", description = "send: how many bytes")
    Long bytes;

    @Option(names = "--socket", description = "management socket (default /run/flowgate/flowgate.sock)")
    Path socket;

    @Override
    public Integer call() throws Exception
    {
        final List<String> words = new ArrayList<>(List.of(TcpService.TCP, operation));
        switch (operation)
        {
            case "stats" -> require(operands.isEmpty(), "usage: flowgate tcp stats");
            case "fetch" ->
            {
                require(operands.size() == 1, "usage: flowgate tcp fetch URL [-o FILE]");
                words.add(operands.get(0));
                if (output != null)
                {
                    words.add("-o");
                    words.add(output.toAbsolutePath().toString());
                }
            }
            case "send" ->
            {
                require(operands.size() == 2 && bytes != null, "usage: flowgate tcp send HOST PORT --bytes N");
                words.addAll(operands);
                words.add("--bytes");
                words.add(Long.toString(bytes));
            }
            default -> throw new IllegalArgumentException("unknown tcp operation '" + operation + "' (stats, fetch, send)");
        }
        return request(socket, words);
    }

    private static void require(final boolean ok, final String usage)
    {
        if (!ok)
        {
            throw new IllegalArgumentException(usage);
        }
    }

    /** Sends one request and prints its lines: out to stdout, err to stderr; returns the status. */
    static int request(final Path socket, final List<String> words) throws Exception
    {
        return ManagementClient.print(socket, words);
    }
}
