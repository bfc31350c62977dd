package io.flowgate.app.host;

import io.flowgate.app.config.HostConfig;
import io.flowgate.stack.StackException;
import io.flowgate.stack.api.HostSockets;
import io.flowgate.stack.api.TcpHandler;
import io.flowgate.stack.api.TcpListener;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@code host.services} of the configuration, listening on the host stack: http, discard, echo, chargen.
 * <p>
 * Usage: {@code HostServices.start(stack.sockets(), config.host().services())} once the router runs with the stack;
 * {@link #close} before the stack closes. Thread-safety: the handlers run on the stack thread (they share one
 * scratch buffer for what they drop); the counters are read from any thread.
 */
public final class HostServices implements AutoCloseable
{
    static final int SCRATCH_BYTES = 64 << 10;

    private final List<TcpListener> listeners = new ArrayList<>();
    private final List<String> describe = new ArrayList<>();
    private final long scratch = Arena.global().allocate(SCRATCH_BYTES, 64).address();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder httpRequests = new LongAdder();
    private final LongAdder discarded = new LongAdder();
    private final LongAdder echoed = new LongAdder();
    private final LongAdder generated = new LongAdder();

    private HostServices()
    {
    }

    /** Starts every service; on a refusal, closes those already started and throws. */
    public static HostServices start(final HostSockets sockets, final List<HostConfig.Service> services) throws StackException
    {
        final HostServices started = new HostServices();
        try
        {
            for (final HostConfig.Service service : services)
            {
                started.listeners.add(sockets.listen(service.address(), service.port(), 128, socket ->
                {
                    started.accepted.increment();
                    return started.handler(service.type(), socket);
                }));
                started.describe.add(service.type().name().toLowerCase(java.util.Locale.ROOT) + " on "
                    + (service.address() == null ? "*" : service.address().getHostAddress()) + ":" + service.port());
            }
        }
        catch (final StackException | RuntimeException ex)
        {
            started.close();
            throw ex;
        }
        return started;
    }

    private TcpHandler handler(final HostConfig.Type type, final io.flowgate.stack.api.TcpSocket socket)
    {
        return switch (type)
        {
            case HTTP -> new HttpService(httpRequests);
            case DISCARD -> new DiscardService(discarded, scratch);
            case ECHO -> new EchoService(echoed);
            case CHARGEN ->
            {
                final ChargenService chargen = new ChargenService(generated, scratch);
                chargen.start(socket); // writing inside the accept is safe: the SYN is acknowledged before it runs
                yield chargen;
            }
        };
    }

    /** "http on *:80" and so on, one per service. */
    public List<String> describe()
    {
        return List.copyOf(describe);
    }

    /** Counters as {@code name value} lines. */
    public List<String> counters()
    {
        return List.of("accepted " + accepted.sum(), "http_requests " + httpRequests.sum(), "discard_bytes " + discarded.sum(),
            "echo_bytes " + echoed.sum(), "chargen_bytes " + generated.sum());
    }

    @Override
    public void close()
    {
        for (final TcpListener listener : listeners)
        {
            try
            {
                listener.close();
            }
            catch (final RuntimeException ignored)
            {
                // the stack has stopped: nothing listens any more
            }
        }
        listeners.clear();
    }
}
