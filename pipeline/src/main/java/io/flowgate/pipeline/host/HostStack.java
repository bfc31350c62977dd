package io.flowgate.pipeline.host;

/**
 * The box's own transport layer (the {@code tcp-stack} module): what the slow path hands packets for the box
 * to when it does not answer them itself. The slow path answers ARP, neighbour discovery and ICMP/ICMPv6 echo;
 * everything else addressed to one of the box's addresses (TCP, UDP, ICMP errors about the box's own packets,
 * fragments the workers did not reassemble) comes here. All methods are called on the slow-path thread, which
 * is the stack's thread: the stack never runs on a worker and a worker never waits for it.
 */
public interface HostStack
{
    /** Called once by the router before the slow-path thread starts; {@code output} is how the stack sends. */
    void attach(HostOutput output);

    /**
     * A packet for the box. The stack owns {@code mbuf} from here on (it frees it, always, before or after it
     * copied what it keeps). The mbuf's data starts at its Ethernet header (VLAN tags possible); it may be a
     * chain (a datagram reassembled by the workers' defragmentation). {@code port} is the port it came in on.
     */
    void receive(long mbuf, int port, long nowNs);

    /** Each slow-path duty cycle: timers, application commands, pending transmissions. Returns the work done (0: idle). */
    int doWork(long nowNs);

    /** The slow path stops (after the workers did): free every mbuf held, refuse further application calls. */
    void close();
}
