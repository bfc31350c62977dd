package io.flowgate.app;

import io.flowgate.app.host.TcpService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flowgate ss [-l] [-i] [-n]}: the host stack's TCP sockets, printed like {@code ss -tin}. */
@Command(name = "ss", description = "The running flowgate's host-stack TCP sockets, like ss -t: -l listeners, -i tcp_info, -n numeric.")
public final class SsCommand implements Callable<Integer>
{
    @Option(names = "-l", description = "listening sockets only")
    boolean listening;

    @Option(names = "-i", description = "tcp_info details (cwnd, rtt, bytes, ...)")
    boolean info;

    @Option(names = "-n", description = "numeric (always: the stack resolves no names)")
    boolean numeric;

    @Option(names = "-t", description = "TCP (the only kind listed)")
    boolean tcp;

    @Option(names = "--socket", description = "management socket (default /run/flowgate/flowgate.sock)")
    Path socket;

    @Override
    public Integer call() throws Exception
    {
        final List<String> words = new ArrayList<>(List.of(TcpService.SS));
        if (listening)
        {
            words.add("-l");
        }
        if (info)
        {
            words.add("-i");
        }
        if (numeric)
        {
            words.add("-n");
        }
        return TcpCommand.request(socket, words);
    }
}
