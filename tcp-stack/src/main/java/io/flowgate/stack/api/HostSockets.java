package io.flowgate.stack.api;

import io.flowgate.stack.InetAddr;
import io.flowgate.stack.Stack;
import io.flowgate.stack.StackException;
import io.flowgate.stack.tcp.Listener;
import io.flowgate.stack.tcp.Tcp;
import io.flowgate.stack.tcp.TcpConnection;
import io.flowgate.stack.tcp.TcpInfo;
import io.flowgate.stack.tcp.TcpState;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The socket API of the host stack, callable from any thread. Control calls (listen, connect, bind, close) run on
 * the stack thread: from another thread they are queued to it and the caller waits for the answer (they are not
 * data-path calls); before the stack thread runs they execute at once.
 * <p>
 * Usage: {@code stack.sockets().listen(null, 80, 128, socket -> new MyHandler())}; handlers run on the stack
 * thread and must not block. Thread-safety: every method, any thread. Shutdown: {@code Stack.close} resets the
 * connections (handlers see {@code onClosed(STACK_CLOSED)}).
 */
public final class HostSockets
{
    private final Stack stack;
    private final CommandQueue commands;
    private final Tcp tcp;
    private final String congestion;
    /** Stack thread: the api object of each listener, for ss (address and port as asked). */
    private final Map<Listener, TcpListener> listeners = new IdentityHashMap<>();

    public HostSockets(final Stack stack)
    {
        this(stack, stack.commands(), stack.tcp(), stack.config().congestion());
    }

    /** Over a bare TCP layer (tests: no UDP without {@code stack}). */
    HostSockets(final Stack stack, final CommandQueue commands, final Tcp tcp, final String congestion)
    {
        this.stack = stack;
        this.commands = commands;
        this.tcp = tcp;
        this.congestion = congestion;
    }

    /** listen() on {@code address} (null: any address of either family) and {@code port}. */
    public TcpListener listen(final InetAddress address, final int port, final int backlog, final AcceptHandler handler)
        throws StackException
    {
        final long hi = address == null ? 0 : InetAddr.hi(address);
        final long lo = address == null ? 0 : InetAddr.lo(address);
        final TcpListener listener = new TcpListener(this, commands, hi, lo, port, handler);
        return commands.call(nowNs ->
        {
            final Listener bound = tcp.listen(hi, lo, port, backlog, listener.events(), nowNs);
            listener.bind(bound);
            listeners.put(bound, listener);
            return listener;
        });
    }

    /** connect() to a remote address; completion is {@code onConnected} or {@code onClosed}. */
    public TcpSocket connect(final InetAddress remote, final int port, final TcpHandler handler) throws StackException
    {
        final TcpSocket socket = new TcpSocket(commands, handler);
        final long hi = InetAddr.hi(remote);
        final long lo = InetAddr.lo(remote);
        return commands.call(nowNs ->
        {
            final TcpConnection connection = tcp.connect(hi, lo, port, 0, 0, 0, socket.events(), nowNs);
            socket.bind(Endpoint.of(connection));
            return socket;
        });
    }

    /** A UDP socket bound to {@code address} (null: any) and {@code port} (0: ephemeral). */
    public UdpSocket bindUdp(final InetAddress address, final int port, final UdpHandler handler) throws StackException
    {
        final long hi = address == null ? 0 : InetAddr.hi(address);
        final long lo = address == null ? 0 : InetAddr.lo(address);
        return commands.call(nowNs -> UdpSocket.open(stack, hi, lo, port, handler));
    }

    /**
     * Runs {@code task} on the stack thread (soon; not waiting): queued, also when called on the stack thread (so a
     * callback can defer work past the event it handles); at once before the stack runs.
     */
    public void execute(final Runnable task)
    {
        if (!commands.running())
        {
            task.run();
            return;
        }
        while (!commands.offer(task))
        {
            if (commands.onStackThread())
            {
                task.run(); // full, and nobody else will drain it
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Every TCP connection and listener, as ss lists them. */
    public List<TcpInfo> connections()
    {
        return commands.callUnchecked(nowNs ->
        {
            final List<TcpInfo> all = new ArrayList<>();
            tcp.forEachListener(listener -> all.add(listenerInfo(listener)));
            tcp.forEach(connection -> all.add(connection.info(nowNs)));
            return all;
        });
    }

    /** Forgets a closed listener's api object; stack thread. */
    void forget(final Listener listener)
    {
        listeners.remove(listener);
    }

    private TcpInfo listenerInfo(final Listener listener)
    {
        final TcpListener api = listeners.get(listener);
        return listenerInfo(api == null ? 0 : api.addressHi(), api == null ? 0 : api.addressLo(), listener.localPort(),
            listener.acceptQueueLength(), listener.backlog(), congestion);
    }

    /** A listener as ss shows it: Recv-Q the accept queue, Send-Q the backlog. */
    static TcpInfo listenerInfo(final long hi, final long lo, final int port, final int acceptQueue, final int backlog,
                                final String congestion)
    {
        return new TcpInfo(TcpState.LISTEN, hi, lo, port, 0, 0, 0, congestion,
            false, false, 0, 0,
            0, 0, 0, 0, /* rto rtt rttvar minrtt */ 0, 0, 0, /* mss pmtu rcvmss */ 0, 0, 0, /* cwnd ssthresh ca */
            0, 0, 0, 0, /* bytes */ 0, 0, 0, 0, /* segs */ 0, 0, 0, 0, 0, /* unacked .. total retrans */ 0, 0, /* windows */
            backlog, acceptQueue, 0, 0);
    }
}
