package io.flowgate.stack.api;

import io.flowgate.stack.buffer.ByteRing;
import io.flowgate.stack.tcp.ConnectionEvents;
import io.flowgate.stack.tcp.TcpInfo;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * A connected TCP socket for Java code: non-blocking, callable from one application thread at a time (or from
 * its handler on the stack thread). Reads and writes go straight to the connection's rings (no hop through the
 * stack thread); the stack is nudged when it has something to do.
 * <p>
 * Data path: {@link #write} appends to the send ring, sets {@code sendPending} and nudges; on the stack thread
 * the nudge calls {@code appSend}. {@link #read} consumes from the receive ring, sets {@code receivedPending}
 * and nudges; the nudge calls {@code appReceived} (the connection decides whether the window moved enough for
 * an update). A write that took less than asked sets {@code wantWritable}: {@link TcpHandler#onWritable} is
 * called once when the stack next finds room (a {@code writable} event from the connection, or the nudge
 * itself when the room opened meanwhile).
 * <p>
 * Lifecycle: after {@link #close} or {@link #abort} the application never touches the rings again (reads and
 * writes return -1), and the stack-side {@code released} flag keeps late nudges away from the connection.
 */
public final class TcpSocket
{
    private static final VarHandle SEND_PENDING;
    private static final VarHandle RECEIVED_PENDING;
    private static final VarHandle WANT_WRITABLE;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SEND_PENDING = lookup.findVarHandle(TcpSocket.class, "sendPending", int.class);
            RECEIVED_PENDING = lookup.findVarHandle(TcpSocket.class, "receivedPending", int.class);
            WANT_WRITABLE = lookup.findVarHandle(TcpSocket.class, "wantWritable", int.class);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CommandQueue commands;
    private final Events events = new Events();
    private final Nudged nudge = new Nudged();
    private Endpoint endpoint;
    private ByteRing send;
    private ByteRing receive;
    private TcpHandler handler;
    private Object attachment;
    @SuppressWarnings("unused") private volatile int sendPending;
    @SuppressWarnings("unused") private volatile int receivedPending;
    @SuppressWarnings("unused") private volatile int wantWritable;
    /** Application side: close or abort called. */
    private volatile boolean closed;
    /** Stack side: appClose or appAbort ran; stack thread only. */
    private boolean released;
    /** Stack side: data came before the socket was accepted; announce it at the next drain. */
    private boolean announce;

    TcpSocket(final CommandQueue commands, final TcpHandler handler)
    {
        this.commands = commands;
        this.handler = handler;
    }

    /** Stack thread: binds the socket to its connection (at connect or accept). */
    void bind(final Endpoint endpoint)
    {
        this.endpoint = endpoint;
        this.send = endpoint.sendBuffer();
        this.receive = endpoint.receiveBuffer();
    }

    ConnectionEvents events()
    {
        return events;
    }

    void handler(final TcpHandler handler)
    {
        this.handler = handler;
    }

    /**
     * Stack thread, at accept: data (or a FIN) that arrived while the connection waited in the accept queue had
     * nobody to tell; the next drain calls onReadable, after the core has wired the socket's events.
     */
    void announceIfReadable()
    {
        if (receive.size() > 0 || endpoint.finReceived())
        {
            announce = true;
            commands.nudge(nudge);
        }
    }

    /** Reads into {@code dst}: the bytes read, 0 when nothing is there now, -1 at end of stream. */
    public int read(final ByteBuffer dst)
    {
        if (closed)
        {
            return -1;
        }
        final boolean fin = endpoint.finReceived(); // before the read: a FIN is flagged after the data before it is published
        final int length = dst.remaining();
        final int n;
        if (dst.isDirect())
        {
            n = receive.read(MemorySegment.ofBuffer(dst).address(), length);
        }
        else if (dst.hasArray())
        {
            n = receive.read(dst.array(), dst.arrayOffset() + dst.position(), length);
        }
        else
        {
            throw new IllegalArgumentException("read-only buffer");
        }
        return afterRead(n, length, fin, dst);
    }

    /** Reads into native memory. */
    public int read(final long address, final int length)
    {
        if (closed)
        {
            return -1;
        }
        final boolean fin = endpoint.finReceived();
        return afterRead(receive.read(address, length), length, fin, null);
    }

    private int afterRead(final int n, final int length, final boolean fin, final ByteBuffer dst)
    {
        if (n > 0)
        {
            if (dst != null)
            {
                dst.position(dst.position() + n);
            }
            RECEIVED_PENDING.setRelease(this, 1);
            commands.nudge(nudge);
            return n;
        }
        return fin && length > 0 ? -1 : 0;
    }

    /** Writes from {@code src}: the bytes taken (0 when the send buffer is full: wait for onWritable), -1 when output is closed. */
    public int write(final ByteBuffer src)
    {
        if (closed || endpoint.outputClosed())
        {
            return -1;
        }
        final int length = src.remaining();
        final int n;
        if (src.isDirect())
        {
            n = send.write(MemorySegment.ofBuffer(src).address(), length);
        }
        else if (src.hasArray())
        {
            n = send.write(src.array(), src.arrayOffset() + src.position(), length);
        }
        else
        {
            final byte[] copy = new byte[length]; // read-only heap buffers: rare, not the data path
            src.duplicate().get(copy);
            n = send.write(copy, 0, length);
        }
        src.position(src.position() + n);
        return afterWrite(n, length);
    }

    /** Writes from native memory. */
    public int write(final long address, final int length)
    {
        if (closed || endpoint.outputClosed())
        {
            return -1;
        }
        return afterWrite(send.write(address, length), length);
    }

    private int afterWrite(final int n, final int length)
    {
        if (n < length)
        {
            WANT_WRITABLE.setVolatile(this, 1); // before the nudge: its run checks for room that opened meanwhile
        }
        if (n > 0)
        {
            SEND_PENDING.setRelease(this, 1);
        }
        if (n > 0 || n < length)
        {
            commands.nudge(nudge);
        }
        return n;
    }

    /** Bytes readable now. */
    public int readable()
    {
        return closed ? 0 : receive.size();
    }

    /** Room in the send buffer now. */
    public int writable()
    {
        return closed || endpoint.outputClosed() ? 0 : send.free();
    }

    /** shutdown(SHUT_WR). */
    public void shutdownOutput()
    {
        commands.callUnchecked(nowNs ->
        {
            if (!released)
            {
                flush(nowNs);
                endpoint.appShutdown(nowNs);
            }
            return null;
        });
    }

    /** close(): orderly release in the background; unread data resets the connection, as in Linux. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        commands.callUnchecked(nowNs ->
        {
            if (!released && endpoint != null)
            {
                flush(nowNs);
                released = true;
                endpoint.appClose(nowNs);
            }
            return null;
        });
    }

    /** A reset now (SO_LINGER 0). */
    public void abort()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        commands.callUnchecked(nowNs ->
        {
            if (!released && endpoint != null)
            {
                released = true;
                endpoint.appAbort(nowNs);
            }
            return null;
        });
    }

    public void setNoDelay(final boolean on)
    {
        commands.callUnchecked(nowNs ->
        {
            if (!released)
            {
                endpoint.noDelay(on);
                if (on)
                {
                    endpoint.appSend(nowNs); // what Nagle held goes now, as setsockopt(TCP_NODELAY) does
                }
            }
            return null;
        });
    }

    public void setKeepAlive(final boolean on)
    {
        commands.callUnchecked(nowNs ->
        {
            if (!released)
            {
                endpoint.keepAlive(on, nowNs);
            }
            return null;
        });
    }

    /** A snapshot (runs on the stack thread; waits when called from another). */
    public TcpInfo info()
    {
        return commands.callUnchecked(nowNs -> released ? null : endpoint.info(nowNs));
    }

    public Object attachment()
    {
        return attachment;
    }

    public void attach(final Object attachment)
    {
        this.attachment = attachment;
    }

    /** Stack thread: hands what the application did since the last nudge to the connection. */
    private void flush(final long nowNs)
    {
        if ((int)SEND_PENDING.getAndSet(this, 0) != 0)
        {
            endpoint.appSend(nowNs);
        }
        if ((int)RECEIVED_PENDING.getAndSet(this, 0) != 0)
        {
            endpoint.appReceived(nowNs);
        }
    }

    private void fireWritable()
    {
        if ((int)WANT_WRITABLE.getVolatile(this) != 0 && send.free() > 0 && WANT_WRITABLE.compareAndSet(this, 1, 0))
        {
            handler.onWritable(this);
        }
    }

    private final class Nudged extends CommandQueue.Nudge
    {
        @Override
        protected void onNudge(final long nowNs)
        {
            if (released || endpoint == null)
            {
                return;
            }
            flush(nowNs);
            fireWritable();
            if (announce)
            {
                announce = false;
                if (!closed)
                {
                    handler.onReadable(TcpSocket.this);
                }
            }
        }
    }

    /** The connection's events, turned into the handler's callbacks (stack thread). */
    private final class Events implements ConnectionEvents
    {
        @Override
        public void connected()
        {
            handler.onConnected(TcpSocket.this);
        }

        @Override
        public void readable()
        {
            if (!closed)
            {
                handler.onReadable(TcpSocket.this);
            }
        }

        @Override
        public void writable()
        {
            if (!closed)
            {
                fireWritable();
            }
        }

        @Override
        public void closed(final int reason)
        {
            handler.onClosed(TcpSocket.this, reason);
        }
    }
}
