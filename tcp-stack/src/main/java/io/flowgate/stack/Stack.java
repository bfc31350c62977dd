package io.flowgate.stack;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.host.HostOutput;
import io.flowgate.pipeline.host.HostStack;
import io.flowgate.pipeline.slowpath.IcmpRateLimiter;
import io.flowgate.pipeline.slowpath.IcmpSender;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.stack.api.CommandQueue;
import io.flowgate.stack.api.HostSockets;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.ip.InetChecksum;
import io.flowgate.stack.ip.IpCounters;
import io.flowgate.stack.ip.IpOutput;
import io.flowgate.stack.ip.Reassembly;
import io.flowgate.stack.ip.Transport;
import io.flowgate.stack.tcp.Tcp;
import io.flowgate.stack.timer.TimerWheel;
import io.flowgate.stack.udp.Udp;
import java.lang.foreign.Arena;

/**
 * flowgate's host stack, run by the router's slow path on its thread ({@link HostStack}): IPv4/IPv6 input for
 * the box (validation, reassembly of fragments the workers did not reassemble, with memory and time limits),
 * ICMP/ICMPv6 errors to the transports, UDP and TCP, and the socket API ({@link #sockets()}).
 * <p>
 * Duty cycle ({@link #doWork}): application commands and socket nudges (a UDP socket's nudge sends what it
 * queued), then timers, then UDP sends that waited for packet buffers, then reassembly expiry. Input ({@link #receive}) runs as the slow path takes packets from the
 * workers' rings: validation as Linux's {@code ip_rcv}/{@code ipv6_rcv} (counters named as its {@code Ip:} and
 * {@code Ip6:} MIB, {@link #ip4Counters()}/{@link #ip6Counters()}), then reassembly, then the transport's
 * checksum, then the transport. Nothing is allocated per packet.
 */
public final class Stack implements HostStack
{
    /** The timer wheel's tick: about a millisecond (2^20 ns), Linux's jiffy at HZ=1000. */
    public static final long TICK_NS = 1L << 20;

    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int ICMPV6 = 58;
    private static final int SCRATCH_BYTES = 96 * 1024;

    private final StackConfig config;
    private final TimerWheel timers;
    private final ByteRingPool buffers;
    private final CommandQueue commands;
    private final IpOutput ip;
    private final Tcp tcp;
    private final Transport tcpInput;
    private final Udp udp;
    private final HostSockets sockets;

    private final IpCounters ip4 = new IpCounters();
    private final IpCounters ip6 = new IpCounters();
    private final Reassembly reassembly;
    private final Arena arena = Arena.ofShared();
    private final long scratch;
    private final IcmpSender icmp = new IcmpSender();
    private IcmpRateLimiter icmpLimiter;
    private volatile boolean closed;

    public Stack(final StackConfig config, final long seed)
    {
        this.config = config;
        this.timers = new TimerWheel(TICK_NS, 4096, System.nanoTime());
        this.buffers = new ByteRingPool();
        this.commands = new CommandQueue(4096);
        this.ip = new IpOutput();
        this.tcp = new Tcp(config, ip, timers, buffers, seed);
        this.tcpInput = tcp;
        this.udp = new Udp(config, ip);
        this.sockets = new HostSockets(this);
        this.reassembly = new Reassembly(config.reassemblyBytes(), config.reassemblyTimeoutNs(),
            Reassembly.slotsFor(config.reassemblyBytes()));
        this.scratch = arena.allocate(SCRATCH_BYTES, 64).address();
    }

    /**
     * The stack without its TCP core, TCP input given by {@code tcpInput} (tests of the IP and UDP layers; the
     * socket API works for UDP only). Its timer wheel starts at time 0.
     */
    Stack(final StackConfig config, final Transport tcpInput)
    {
        this.config = config;
        this.timers = new TimerWheel(TICK_NS, 4096, 0);
        this.buffers = new ByteRingPool();
        this.commands = new CommandQueue(4096);
        this.ip = new IpOutput();
        this.tcp = null;
        this.tcpInput = tcpInput;
        this.udp = new Udp(config, ip);
        this.sockets = new HostSockets(this);
        this.reassembly = new Reassembly(config.reassemblyBytes(), config.reassemblyTimeoutNs(),
            Reassembly.slotsFor(config.reassemblyBytes()));
        this.scratch = arena.allocate(SCRATCH_BYTES, 64).address();
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

    /** How the transports send (the router's slow path once attached). */
    public IpOutput ip()
    {
        return ip;
    }

    /** The {@code Ip:} and {@code Icmp:} counters. */
    public IpCounters ip4Counters()
    {
        return ip4;
    }

    /** The {@code Ip6:} and {@code Icmp6:} counters. */
    public IpCounters ip6Counters()
    {
        return ip6;
    }

    public Reassembly reassembly()
    {
        return reassembly;
    }

    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public void attach(final HostOutput output)
    {
        ip.attach(output);
    }

    @Override
    public void receive(final long mbuf, final int port, final long nowNs)
    {
        if (closed)
        {
            Mbuf.free(mbuf);
            return;
        }
        long frame = Mbuf.data(mbuf);
        int length = Mbuf.dataLength(mbuf);
        if (Mbuf.segments(mbuf) > 1)
        {
            length = Mbuf.packetLength(mbuf);
            if (length > SCRATCH_BYTES)
            {
                ip4.inDiscards++;
                Mbuf.free(mbuf);
                return;
            }
            int at = 0;
            for (long s = mbuf; s != 0 && at < length; s = Mbuf.next(s))
            {
                final int n = Math.min(Mbuf.dataLength(s), length - at);
                Memory.copy(Mbuf.data(s), scratch + at, n);
                at += n;
            }
            length = at;
            frame = scratch;
        }
        if (length >= EthernetFlyweight.HEADER_LENGTH)
        {
            final int l3 = EthernetFlyweight.payloadOffset(frame);
            final int etherType = Memory.getShortBE(frame + l3 - 2);
            if (l3 <= length)
            {
                if (etherType == EthernetFlyweight.ETHER_TYPE_IPV4)
                {
                    input4(frame + l3, length - l3, port, nowNs);
                }
                else if (etherType == EthernetFlyweight.ETHER_TYPE_IPV6)
                {
                    input6(frame + l3, length - l3, port, nowNs);
                }
            }
        }
        Mbuf.free(mbuf);
    }

    /** IPv4 input ({@code ip_rcv_core}, then {@code ip_local_deliver}): {@code available} bytes at {@code ipAddr}. */
    void input4(final long ipAddr, final int available, final int port, final long nowNs)
    {
        ip4.inReceives++;
        if (available < 20)
        {
            ip4.inHdrErrors++;
            return;
        }
        final int versionIhl = Memory.getUnsignedByte(ipAddr);
        final int hl = (versionIhl & 0xF) << 2;
        if (versionIhl >>> 4 != 4 || hl < 20 || hl > available)
        {
            ip4.inHdrErrors++;
            return;
        }
        if (Checksum.checksum(ipAddr, hl) != 0)
        {
            ip4.inCsumErrors++;
            ip4.inHdrErrors++;
            return;
        }
        final int total = Memory.getShortBE(ipAddr + 2);
        if (total > available)
        {
            ip4.inTruncatedPkts++;
            return;
        }
        if (total < hl)
        {
            ip4.inHdrErrors++;
            return;
        }
        final int src = Memory.getIntBE(ipAddr + 12);
        final int dst = Memory.getIntBE(ipAddr + 16);
        final long srcLo = InetAddr.v4(src);
        final long dstLo = InetAddr.v4(dst);
        if (ip.attached() && !ip.isLocal(0, dstLo))
        {
            ip4.inAddrErrors++;
            return;
        }
        final int protocol = Memory.getUnsignedByte(ipAddr + 9);
        final int fragment = Memory.getShortBE(ipAddr + 6);
        if ((fragment & 0x3FFF) != 0)
        {
            ip4.reasmReqds++;
            final int slot = reassembly.add(false, 0, srcLo, 0, dstLo, Memory.getShortBE(ipAddr + 4), protocol, ipAddr, hl,
                (fragment & 0x1FFF) << 3, ipAddr + hl, total - hl, (fragment & 0x2000) != 0, port, nowNs);
            if (slot >= 0)
            {
                ip4.reasmOKs++;
                deliver(false, reassembly.packet(slot), reassembly.packetLength(slot), reassembly.headerLength(slot), protocol,
                    9, 0, srcLo, 0, dstLo, port, nowNs);
                reassembly.release(slot);
            }
            else if (slot != Reassembly.HELD)
            {
                ip4.reasmFails++;
            }
            return;
        }
        deliver(false, ipAddr, total, hl, protocol, 9, 0, srcLo, 0, dstLo, port, nowNs);
    }

    /** IPv6 input ({@code ipv6_rcv}, then the extension headers of {@code ip6_input_finish}). */
    void input6(final long ipAddr, final int available, final int port, final long nowNs)
    {
        ip6.inReceives++;
        if (available < 40 || Memory.getUnsignedByte(ipAddr) >>> 4 != 6)
        {
            ip6.inHdrErrors++;
            return;
        }
        final int payload = Memory.getShortBE(ipAddr + 4);
        if (payload == 0 && Memory.getUnsignedByte(ipAddr + 6) != 0)
        {
            ip6.inHdrErrors++; // a jumbogram needs a hop-by-hop option, and no port here carries one
            return;
        }
        if (40 + payload > available)
        {
            ip6.inTruncatedPkts++;
            return;
        }
        final long srcHi = Ipv6Flyweight.getSrcAddressHi(ipAddr);
        final long srcLo = Ipv6Flyweight.getSrcAddressLo(ipAddr);
        final long dstHi = Ipv6Flyweight.getDstAddressHi(ipAddr);
        final long dstLo = Ipv6Flyweight.getDstAddressLo(ipAddr);
        if (ip.attached() && !ip.isLocal(dstHi, dstLo))
        {
            ip6.inAddrErrors++;
            return;
        }
        extensions6(ipAddr, 40 + payload, port, nowNs, true, srcHi, srcLo, dstHi, dstLo);
    }

    /** Walks the extension headers to the transport; a Fragment header goes to reassembly (once: {@code mayReassemble}). */
    private void extensions6(final long ipAddr, final int length, final int port, final long nowNs, final boolean mayReassemble,
                             final long srcHi, final long srcLo, final long dstHi, final long dstLo)
    {
        int nh = Memory.getUnsignedByte(ipAddr + 6);
        int nhField = 6;
        int offset = 40;
        for (int headers = 0; headers < 16; headers++)
        {
            if (nh == 0 || nh == 43 || nh == 60 || nh == 51)
            {
                if (offset + 8 > length)
                {
                    ip6.inHdrErrors++;
                    return;
                }
                final int size = nh == 51 ? (Memory.getUnsignedByte(ipAddr + offset + 1) + 2) << 2
                    : (Memory.getUnsignedByte(ipAddr + offset + 1) + 1) << 3;
                nhField = offset;
                nh = Memory.getUnsignedByte(ipAddr + offset);
                offset += size;
                if (offset > length)
                {
                    ip6.inHdrErrors++;
                    return;
                }
            }
            else if (nh == 44)
            {
                if (offset + 8 > length)
                {
                    ip6.inHdrErrors++;
                    return;
                }
                final int next = Memory.getUnsignedByte(ipAddr + offset);
                final int offsetMore = Memory.getShortBE(ipAddr + offset + 2);
                if ((offsetMore & 0xFFF9) == 0)
                {
                    nhField = offset; // an atomic fragment (RFC 6946): processed as if unfragmented
                    nh = next;
                    offset += 8;
                    continue;
                }
                if (!mayReassemble)
                {
                    ip6.inHdrErrors++;
                    return;
                }
                ip6.reasmReqds++;
                final int slot = reassembly.add(true, srcHi, srcLo, dstHi, dstLo, Memory.getIntBE(ipAddr + offset + 4), next,
                    ipAddr, 40, offsetMore & 0xFFF8, ipAddr + offset + 8, length - offset - 8, (offsetMore & 1) != 0, port,
                    nowNs);
                if (slot >= 0)
                {
                    ip6.reasmOKs++;
                    extensions6(reassembly.packet(slot), reassembly.packetLength(slot), port, nowNs, false, srcHi, srcLo, dstHi,
                        dstLo);
                    reassembly.release(slot);
                }
                else if (slot != Reassembly.HELD)
                {
                    ip6.reasmFails++;
                }
                return;
            }
            else
            {
                break;
            }
        }
        if (nh == 59)
        {
            ip6.inDelivers++; // no next header: nothing to deliver, as Linux (counted, dropped quietly)
            return;
        }
        deliver(true, ipAddr, length, offset, nh, nhField, srcHi, srcLo, dstHi, dstLo, port, nowNs);
    }

    /** Local delivery of one whole IP packet: transport checksum, then the transport; ICMP errors for unknown protocols. */
    private void deliver(final boolean v6, final long ipAddr, final int ipLength, final int transportOffset, final int protocol,
                         final int protocolField, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                         final int port, final long nowNs)
    {
        final IpCounters counters = v6 ? ip6 : ip4;
        final long l4 = ipAddr + transportOffset;
        final int length = ipLength - transportOffset;
        if (protocol == TCP)
        {
            counters.inDelivers++;
            if (length < 20 || !InetChecksum.isValid(srcHi, srcLo, dstHi, dstLo, TCP, l4, length))
            {
                if (tcpInput != null)
                {
                    tcpInput.inputError(length >= 20);
                }
                return;
            }
            if (tcpInput != null)
            {
                tcpInput.receive(l4, length, srcHi, srcLo, dstHi, dstLo, port, nowNs);
            }
        }
        else if (protocol == UDP)
        {
            counters.inDelivers++;
            udpInput(v6, ipAddr, ipLength, l4, length, srcHi, srcLo, dstHi, dstLo, nowNs);
        }
        else if (protocol == (v6 ? ICMPV6 : ICMP))
        {
            counters.inDelivers++;
            icmpInput(v6, l4, length, srcHi, srcLo, dstHi, dstLo, nowNs);
        }
        else
        {
            counters.inUnknownProtos++;
            if (v6)
            {
                sendIcmp6(ipAddr, ipLength, 4, 1, protocolField, dstHi, dstLo, nowNs);
            }
            else
            {
                sendIcmp4(ipAddr, ipLength, 3, 2, 0, nowNs);
            }
        }
    }

    private void udpInput(final boolean v6, final long ipAddr, final int ipLength, final long l4, final int length,
                          final long srcHi, final long srcLo, final long dstHi, final long dstLo, final long nowNs)
    {
        if (length < 8)
        {
            udp.inErrors++;
            return;
        }
        final int udpLength = Memory.getShortBE(l4 + 4);
        if (udpLength > length || udpLength < 8)
        {
            udp.inErrors++; // "short packet" (__udp4_lib_rcv)
            return;
        }
        if (Memory.getShortBE(l4 + 6) == 0)
        {
            if (v6)
            {
                udp.inErrors++; // RFC 8200 8.1: a zero UDP checksum is not allowed over IPv6
                return;
            }
        }
        else if (!InetChecksum.isValid(srcHi, srcLo, dstHi, dstLo, UDP, l4, udpLength))
        {
            udp.inCsumErrors++;
            udp.inErrors++;
            return;
        }
        if (!udp.deliver(l4, udpLength, srcHi, srcLo, dstHi, dstLo))
        {
            if (v6)
            {
                sendIcmp6(ipAddr, ipLength, 1, 4, 0, dstHi, dstLo, nowNs);
            }
            else
            {
                sendIcmp4(ipAddr, ipLength, 3, 3, 0, nowNs);
            }
        }
    }

    /** ICMP/ICMPv6 errors about the box's packets, normalised as Linux's {@code icmp_err_convert}/{@code icmpv6_err_convert}. */
    private void icmpInput(final boolean v6, final long icmpAddr, final int length, final long srcHi, final long srcLo,
                           final long dstHi, final long dstLo, final long nowNs)
    {
        final IpCounters counters = v6 ? ip6 : ip4;
        counters.icmpInMsgs++;
        if (length < 8)
        {
            counters.icmpInErrors++;
            return;
        }
        final boolean valid = v6 ? InetChecksum.isValid(srcHi, srcLo, dstHi, dstLo, ICMPV6, icmpAddr, length)
            : Checksum.checksum(icmpAddr, length) == 0;
        if (!valid)
        {
            counters.icmpInErrors++;
            return;
        }
        final int type = Memory.getUnsignedByte(icmpAddr);
        final int code = Memory.getUnsignedByte(icmpAddr + 1);
        final int kind;
        int info = code;
        if (!v6)
        {
            if (type == 3)
            {
                if (code > 15)
                {
                    counters.icmpInErrors++;
                    return;
                }
                if (code == 4)
                {
                    kind = Transport.ERROR_PACKET_TOO_BIG;
                    info = Memory.getShortBE(icmpAddr + 6);
                }
                else
                {
                    kind = (V4_UNREACH_FATAL >>> code & 1) != 0 ? Transport.ERROR_UNREACHABLE_HARD : Transport.ERROR_UNREACHABLE_SOFT;
                }
            }
            else if (type == 11)
            {
                kind = Transport.ERROR_TIME_EXCEEDED;
            }
            else if (type == 12)
            {
                kind = Transport.ERROR_PARAMETER;
            }
            else
            {
                counters.icmpInUnhandled++; // not an error the stack handles (echo is the slow path's; redirect, quench: ignored)
                return;
            }
            final long quoted = icmpAddr + 8;
            final int quotedLength = length - 8;
            if (quotedLength < 20 || Memory.getUnsignedByte(quoted) >>> 4 != 4)
            {
                counters.icmpInErrors++;
                return;
            }
            final int hl = (Memory.getUnsignedByte(quoted) & 0xF) << 2;
            if (hl < 20 || quotedLength < hl + 8)
            {
                counters.icmpInErrors++;
                return;
            }
            errorToTransport(Memory.getUnsignedByte(quoted + 9), kind, info, quoted + hl, quotedLength - hl, 0,
                InetAddr.v4(Memory.getIntBE(quoted + 12)), 0, InetAddr.v4(Memory.getIntBE(quoted + 16)), nowNs);
            return;
        }
        if (type == 1)
        {
            if (code > 6)
            {
                counters.icmpInErrors++;
                return;
            }
            kind = (V6_UNREACH_FATAL >>> code & 1) != 0 ? Transport.ERROR_UNREACHABLE_HARD : Transport.ERROR_UNREACHABLE_SOFT;
        }
        else if (type == 2)
        {
            kind = Transport.ERROR_PACKET_TOO_BIG;
            info = Memory.getIntBE(icmpAddr + 4);
        }
        else if (type == 3)
        {
            kind = Transport.ERROR_TIME_EXCEEDED;
        }
        else if (type == 4)
        {
            kind = Transport.ERROR_PARAMETER;
        }
        else
        {
            counters.icmpInUnhandled++;
            return;
        }
        final long quoted = icmpAddr + 8;
        final int quotedLength = length - 8;
        if (quotedLength < 40 || Memory.getUnsignedByte(quoted) >>> 4 != 6)
        {
            counters.icmpInErrors++;
            return;
        }
        final long skipped = Ipv6Flyweight.skipExtensionHeaders(quoted, quotedLength);
        final int offset = Ipv6Flyweight.upperLayerOffset(skipped);
        if (offset < 0 || quotedLength < offset + 8)
        {
            counters.icmpInErrors++;
            return;
        }
        errorToTransport(Ipv6Flyweight.upperLayerProtocol(skipped), kind, info, quoted + offset, quotedLength - offset,
            Ipv6Flyweight.getSrcAddressHi(quoted), Ipv6Flyweight.getSrcAddressLo(quoted), Ipv6Flyweight.getDstAddressHi(quoted),
            Ipv6Flyweight.getDstAddressLo(quoted), nowNs);
    }

    /** icmp_err_convert: which destination-unreachable codes are fatal (hard), by code bit. */
    private static final int V4_UNREACH_FATAL = 1 << 2 | 1 << 3 | 1 << 6 | 1 << 7 | 1 << 8 | 1 << 9 | 1 << 10 | 1 << 13 | 1 << 14
        | 1 << 15;
    /** icmpv6_err_convert: admin prohibited, port unreachable, failed policy, reject route are fatal. */
    private static final int V6_UNREACH_FATAL = 1 << 1 | 1 << 4 | 1 << 5 | 1 << 6;

    private void errorToTransport(final int protocol, final int kind, final int info, final long quoted, final int quotedLength,
                                  final long localHi, final long localLo, final long remoteHi, final long remoteLo,
                                  final long nowNs)
    {
        if (protocol == TCP)
        {
            if (tcpInput != null)
            {
                tcpInput.icmpError(kind, info, quoted, quotedLength, localHi, localLo, remoteHi, remoteLo, nowNs);
            }
        }
        else if (protocol == UDP)
        {
            udp.icmpError(kind, info, quoted, quotedLength, localHi, localLo, remoteHi, remoteLo, nowNs);
        }
    }

    private boolean icmpAllowed(final IpCounters counters, final long nowNs)
    {
        if (icmpLimiter == null)
        {
            icmpLimiter = new IcmpRateLimiter(config.icmpErrorsPerSecond(), Math.max(1, config.icmpErrorBurst()), nowNs);
        }
        if (!ip.attached())
        {
            return false;
        }
        if (!icmpLimiter.tryAcquire(nowNs))
        {
            counters.icmpOutRateLimited++;
            return false;
        }
        return true;
    }

    /** An ICMP error about the IPv4 packet at {@code offending}, from the address it was sent to (rate limited). */
    private void sendIcmp4(final long offending, final int offendingLength, final int type, final int code, final int info,
                           final long nowNs)
    {
        if (!icmpAllowed(ip4, nowNs))
        {
            return;
        }
        final long m = ip.allocate();
        if (m == 0)
        {
            return;
        }
        final long out = Mbuf.data(m) + HostOutput.IP_OFFSET;
        final int n = icmp.ipv4Error(out, ip.maxTransportLength(false) + 20, offending, offendingLength, type, code, info,
            Memory.getIntBE(offending + 16));
        if (n == 0)
        {
            Mbuf.free(m);
            return;
        }
        ip4.icmpOutMsgs++;
        ip.sendIp(m, n, nowNs);
    }

    private void sendIcmp6(final long offending, final int offendingLength, final int type, final int code, final int info,
                           final long srcHi, final long srcLo, final long nowNs)
    {
        if (!icmpAllowed(ip6, nowNs))
        {
            return;
        }
        final long m = ip.allocate();
        if (m == 0)
        {
            return;
        }
        final long out = Mbuf.data(m) + HostOutput.IP_OFFSET;
        final int n = icmp.ipv6Error(out, ip.maxTransportLength(true) + 40, offending, offendingLength, type, code, info, srcHi,
            srcLo);
        if (n == 0)
        {
            Mbuf.free(m);
            return;
        }
        ip6.icmpOutMsgs++;
        ip.sendIp(m, n, nowNs);
    }

    @Override
    public int doWork(final long nowNs)
    {
        if (closed)
        {
            return 0;
        }
        int work = commands.drain(nowNs);
        work += timers.expire(nowNs);
        work += udp.flush(nowNs);
        work += expireFragments(nowNs);
        return work;
    }

    /**
     * Drops datagrams whose reassembly time ran out (ReasmTimeout, ReasmFails); an IPv4 one whose first fragment
     * arrived is answered with ICMP time exceeded, fragment reassembly ({@code ip_expire}); an IPv6 one with
     * ICMPv6 time exceeded code 1 ({@code ip6_expire_frag_queue}).
     */
    private int expireFragments(final long nowNs)
    {
        int work = 0;
        int slot;
        while ((slot = reassembly.nextExpired(nowNs)) >= 0)
        {
            final IpCounters counters = reassembly.isV6(slot) ? ip6 : ip4;
            counters.reasmTimeout++;
            counters.reasmFails++;
            if (reassembly.haveFirst(slot))
            {
                if (reassembly.isV6(slot))
                {
                    timeExceeded6(slot, nowNs);
                }
                else
                {
                    sendIcmp4(reassembly.packet(slot),
                        reassembly.headerLength(slot) + Math.min(8, reassembly.firstFragmentLength(slot)), 11, 1, 0, nowNs);
                }
            }
            reassembly.release(slot);
            work++;
        }
        return work;
    }

    /** ICMPv6 time exceeded, fragment reassembly: quotes the first fragment as it came (header, Fragment header, data). */
    private void timeExceeded6(final int slot, final long nowNs)
    {
        final long header = reassembly.packet(slot);
        final int data = Math.min(reassembly.firstFragmentLength(slot), 1280 - 48 - 48);
        Memory.copy(header, scratch, 40);
        Memory.putShortBE(scratch + 4, 8 + reassembly.firstFragmentLength(slot));
        Memory.putByte(scratch + 6, (byte)44);
        Memory.putByte(scratch + 40, (byte)reassembly.protocol(slot));
        Memory.putByte(scratch + 41, (byte)0);
        Memory.putShortBE(scratch + 42, 1);
        Memory.putIntBE(scratch + 44, reassembly.ident(slot));
        Memory.copy(header + 40, scratch + 48, data);
        sendIcmp6(scratch, 48 + data, 3, 1, 0, Ipv6Flyweight.getDstAddressHi(header), Ipv6Flyweight.getDstAddressLo(header), nowNs);
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (tcp != null)
        {
            tcp.close(System.nanoTime());
        }
        udp.close();
        reassembly.close();
        buffers.close();
        arena.close();
    }
}
