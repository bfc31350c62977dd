package io.flowgate.stack.tcp;

import io.flowgate.stack.StackConfig;

/** {@link TestWire} for tests in other packages (the api layer's end-to-end test): two TCP layers on a virtual wire. */
public final class WireForApi implements AutoCloseable
{
    private final TestWire wire;

    public WireForApi(final StackConfig config)
    {
        wire = new TestWire(config);
    }

    public Tcp tcpA()
    {
        return wire.a.tcp;
    }

    public Tcp tcpB()
    {
        return wire.b.tcp;
    }

    /** B's IPv4 address, as the low half of an IPv4-mapped address. */
    public long addressB()
    {
        return wire.b.lo4;
    }

    public long nowNs()
    {
        return wire.now;
    }

    /** One millisecond: deliveries and timers. */
    public void step()
    {
        wire.step();
    }

    public void lossRate(final double rate)
    {
        wire.lossRate = rate;
    }

    @Override
    public void close()
    {
        wire.close();
    }
}
