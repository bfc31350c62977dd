package io.flowgate.stack.api;

import io.flowgate.stack.buffer.ByteRing;
import io.flowgate.stack.tcp.ConnectionEvents;
import io.flowgate.stack.tcp.TcpConnection;
import io.flowgate.stack.tcp.TcpInfo;

/**
 * What a {@link TcpSocket} needs of its connection: {@link TcpConnection}'s application side. An interface so the
 * socket's ring and nudge logic is tested without a TCP core; one implementation in production, so calls stay
 * monomorphic.
 */
interface Endpoint
{
    ByteRing sendBuffer();

    ByteRing receiveBuffer();

    /** Any thread. */
    boolean finReceived();

    /** Any thread. */
    boolean outputClosed();

    void events(ConnectionEvents events);

    void appSend(long nowNs);

    void appReceived(long nowNs);

    void appShutdown(long nowNs);

    void appClose(long nowNs);

    void appAbort(long nowNs);

    void noDelay(boolean on);

    void keepAlive(boolean on, long nowNs);

    TcpInfo info(long nowNs);

    /** A {@link TcpConnection} as an endpoint. */
    static Endpoint of(final TcpConnection connection)
    {
        return new ConnectionEndpoint(connection);
    }

    record ConnectionEndpoint(TcpConnection connection) implements Endpoint
    {
        @Override
        public ByteRing sendBuffer()
        {
            return connection.sendBuffer();
        }

        @Override
        public ByteRing receiveBuffer()
        {
            return connection.receiveBuffer();
        }

        @Override
        public boolean finReceived()
        {
            return connection.finReceived();
        }

        @Override
        public boolean outputClosed()
        {
            return connection.outputClosed();
        }

        @Override
        public void events(final ConnectionEvents events)
        {
            connection.events(events);
        }

        @Override
        public void appSend(final long nowNs)
        {
            connection.appSend(nowNs);
        }

        @Override
        public void appReceived(final long nowNs)
        {
            connection.appReceived(nowNs);
        }

        @Override
        public void appShutdown(final long nowNs)
        {
            connection.appShutdown(nowNs);
        }

        @Override
        public void appClose(final long nowNs)
        {
            connection.appClose(nowNs);
        }

        @Override
        public void appAbort(final long nowNs)
        {
            connection.appAbort(nowNs);
        }

        @Override
        public void noDelay(final boolean on)
        {
            connection.noDelay(on);
        }

        @Override
        public void keepAlive(final boolean on, final long nowNs)
        {
            connection.keepAlive(on, nowNs);
        }

        @Override
        public TcpInfo info(final long nowNs)
        {
            return connection.info(nowNs);
        }
    }
}
