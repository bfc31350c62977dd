package io.flowgate.stack.api;

/** A listening TCP socket. Contract skeleton: built by the api part. */
public final class TcpListener implements AutoCloseable
{
    TcpListener()
    {
    }

    public int port()
    {
        throw new UnsupportedOperationException("contract");
    }

    @Override
    public void close()
    {
        throw new UnsupportedOperationException("contract");
    }
}
