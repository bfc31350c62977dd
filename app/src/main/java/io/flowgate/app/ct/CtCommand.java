package io.flowgate.app.ct;

import io.flowgate.app.mgmt.ManagementClient;
import io.flowgate.app.mgmt.ManagementServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code flowgate ct ...}: conntrack-tools' {@code conntrack} against the running flowgate, over its
 * management socket. The operation is a word ({@code list}) or conntrack's option ({@code -L}); the other
 * options are conntrack's (see docs/conntrack-cli.md). Output lines are byte for byte conntrack's: stdout
 * carries entries, stderr the summary. Parsing is our own (conntrack's option set does not fit picocli's
 * model of subcommands), so every word reaches {@link CtRequest}.
 */
@Command(name = "ct", mixinStandardHelpOptions = true, description = {
    "Connection tracking table of the running flowgate, with conntrack-tools' options and output.",
    "Usage: flowgate ct list|get|delete|update|flush|count|stats|events [options] [--socket PATH]",
    "   or: flowgate ct -L|-G|-D|-U|-F|-C|-S|-E [options]",
    "Options: -p/--proto, -f/--family ipv4|ipv6, -s/--src/--orig-src, -d/--dst/--orig-dst, -r/--reply-src,",
    "  -q/--reply-dst, --sport/--orig-port-src, --dport/--orig-port-dst, --reply-port-src, --reply-port-dst,",
    "  --state STATE, -m/--mark VALUE[/MASK], -w/--zone N, -u/--status ASSURED,SEEN_REPLY,UNREPLIED,...,",
    "  --icmp-type, --icmp-code, --icmp-id, -o extended,id,timestamp,ktimestamp, -e NEW,UPDATE,DESTROY,",
    "  --max-events N (events: stop after N), --socket PATH (default /run/flowgate/flowgate.sock)."})
public final class CtCommand implements Callable<Integer>
{
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call()
    {
        final CtRequest request = CtRequest.parse(args);
        final Path socket = request.socket != null ? Path.of(request.socket) : ManagementServer.DEFAULT_PATH;
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final long[] events = new long[1];
        final boolean streaming = request.op == CtRequest.Op.EVENTS;
        final Thread summary = streaming ? new Thread(() -> err.println(ConntrackFormat.eventsSummary(events[0]))) : null;
        try (ManagementClient client = ManagementClient.connect(socket))
        {
            if (summary != null)
            {
                // conntrack -E prints its count when interrupted; so does this, from a shutdown hook.
                Runtime.getRuntime().addShutdownHook(summary);
            }
            final List<String> words = new ArrayList<>(request.words);
            words.add(0, CtService.NAME);
            final int status = client.request(words, new ManagementClient.Lines()
            {
                @Override
                public boolean out(final String line)
                {
                    out.println(line);
                    if (streaming)
                    {
                        out.flush();
                        events[0]++;
                        return request.maxEvents == 0 || events[0] < request.maxEvents;
                    }
                    return true;
                }

                @Override
                public void err(final String line)
                {
                    err.println(line);
                }
            });
            out.flush();
            if (summary != null)
            {
                Runtime.getRuntime().removeShutdownHook(summary);
                err.println(ConntrackFormat.eventsSummary(events[0]));
            }
            return status;
        }
        catch (final RuntimeException ex)
        {
            if (summary != null)
            {
                try
                {
                    Runtime.getRuntime().removeShutdownHook(summary);
                }
                catch (final IllegalStateException ignored)
                {
                    // Shutting down already: the hook prints the count.
                }
            }
            throw ex;
        }
    }
}
