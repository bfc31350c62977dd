package io.flowgate.stack;

import io.flowgate.pipeline.host.HostOutput;
import io.flowgate.pipeline.host.HostStack;
import io.flowgate.stack.api.CommandQueue;
import io.flowgate.stack.api.HostSockets;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.ip.IpOutput;
import io.flowgate.stack.tcp.Tcp;
import io.flowgate.stack.timer.TimerWheel;
import io.flowgate.stack.udp.Udp;

/**
 * flowgate's host stack, run by the router's slow path on its thread ({@link HostStack}): IPv4/IPv6 input for
 * the box (validation, reassembly of fragments the workers did not reassemble, with memory and time limits),
 * ICMP/ICMPv6 errors to the transports, UDP and TCP, and the socket API ({@link #sockets()}).
 * <p>
 * Duty cycle ({@link #doWork}): application commands and socket nudges, then timers, then reassembly expiry.
 * Input ({@link #receive}) runs as the slow path takes packets from the workers' rings.
 * Contract skeleton: the IP/UDP part builds it; the order of doWork is part of the contract.
 */
public final class Stack implements HostStack
{
    /** The timer wheel's tick: about a millisecond (2^20 ns), Linux's jiffy at HZ=1000. */
    public static final long TICK_NS = 1L << 20;

    private final StackConfig config;
    private final TimerWheel timers;
    private final ByteRingPool buffers;
    private final CommandQueue commands;
    private final IpOutput ip;
    private final Tcp tcp;
    private final Udp udp;
    private final HostSockets sockets;

    public Stack(final StackConfig config, final long seed)
    {
        this.config = config;
        this.timers = new TimerWheel(TICK_NS, 4096, System.nanoTime());
        this.buffers = new ByteRingPool();
        this.commands = new CommandQueue(4096);
        this.ip = new IpOutput();
        this.tcp = new Tcp(config, ip, timers, buffers, seed);
        this.udp = new Udp(config, ip);
        this.sockets = new HostSockets(this);
    }

    public StackConfig config()
    {
        return config;
    }

    public HostSockets sockets()
    {
        return sockets;
    }

    public Tcp tcp()
    {
        return tcp;
    }

    public Udp udp()
    {
        return udp;
    }

    public TimerWheel timers()
    {
        return timers;
    }

    public CommandQueue commands()
    {
        return commands;
    }

    public ByteRingPool buffers()
    {
        return buffers;
    }

    @Override
    public void attach(final HostOutput output)
    {
        ip.attach(output);
    }

    @Override
    public void receive(final long mbuf, final int port, final long nowNs)
    {
        throw new UnsupportedOperationException("contract: built by the IP/UDP part");
    }

    @Override
    public int doWork(final long nowNs)
    {
        int work = commands.drain(nowNs);
        work += timers.expire(nowNs);
        return work;
    }

    @Override
    public void close()
    {
        throw new UnsupportedOperationException("contract: built by the IP/UDP part");
    }
}
