package io.flowgate.pmd.fwd;

import io.flowgate.pmd.port.Port;

/** One forwarding direction: everything received on {@code rxPort}/{@code rxQueue} goes out on {@code txPort}/{@code txQueue}. */
public record Stream(Port rxPort, int rxQueue, Port txPort, int txQueue)
{
    @Override
    public String toString()
    {
        return rxPort.name() + "/q" + rxQueue + " -> " + txPort.name() + "/q" + txQueue;
    }
}
