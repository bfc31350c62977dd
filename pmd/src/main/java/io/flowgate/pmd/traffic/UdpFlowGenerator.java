package io.flowgate.pmd.traffic;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.UdpFlyweight;
import io.flowgate.pmd.pcap.PcapWriter;

/**
 * Builds Ethernet/IPv4/UDP test frames for N flows, with correct IPv4 header and UDP checksums: the
 * traffic of the side-by-side benchmarks ({@code flowgate gen-pcap --out FILE --flows 4096 --size 64}).
 * <p>
 * Frame size convention: a size counts the 4-byte Ethernet FCS, as testpmd ({@code --txpkts}), TRex and
 * RFC 2544 do, so a "64-byte frame" is the minimum Ethernet frame. The NIC appends the FCS; DPDK mbufs and
 * pcap files hold the frame without it. {@link #frameLength()} = size - 4 bytes are written: 60 for 64.
 * <p>
 * Flow {@code i} (0 &lt;= i &lt; flows) differs from the others in source address and source port, the
 * destination is the same for all:
 * <pre>
 *   source address  = srcIp + i                       (mod 2^32)
 *   source port     = srcPort + i mod (65536 - srcPort)
 * </pre>
 * With the defaults, flow 0 is 198.18.0.1:1024 and flow 4095 is 198.18.16.0:5119, all sending to
 * 198.19.0.1:9 (the RFC 2544 benchmarking range, discard port).
 * <p>
 * With {@code portsPerSource = P > 0} (CSIT's NAT44 scheme: P = 63 ports per inside address) the flows fill
 * each source address's P ports before moving to the next address:
 * <pre>
 *   source address  = srcIp + i / P                   (mod 2^32)
 *   source port     = srcPort + i mod P
 * </pre>
 * so {@code flows = hosts * P} gives {@code hosts} inside addresses of P sessions each. Everything else is fixed: IPv4 without
 * options, TTL 64, DSCP 0, identification = flow number, no fragmentation flags; the UDP payload is the
 * byte sequence 0, 1, 2, ... so every frame of a flow is identical.
 * <p>
 * Usage: {@code UdpFlowGenerator.writePcap(out, 4096, 64)}, or
 * {@code new UdpFlowGenerator(config).write(mbufData, flow)} per frame into native memory.
 * <p>
 * Thread-safety: an instance reuses flyweights: one thread at a time. {@link #write(long, int)} allocates
 * nothing.
 */
public final class UdpFlowGenerator
{
    public static final int FCS_LENGTH = 4;
    /** Smallest frame size, FCS included (IEEE 802.3 minimum frame). */
    public static final int MIN_FRAME_SIZE = 64;
    /** Largest frame size, FCS included: a 9000-byte MTU jumbo frame. */
    public static final int MAX_FRAME_SIZE = 9000 + EthernetFlyweight.HEADER_LENGTH + FCS_LENGTH;
    /** Ethernet, IPv4 and UDP headers. */
    public static final int HEADERS_LENGTH =
        EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + UdpFlyweight.HEADER_LENGTH;
    public static final int TTL = 64;

    /** First record's timestamp in pcap files: 2026-01-01T00:00:00Z; records follow 1 us apart. */
    public static final long PCAP_START_US = 1_767_225_600_000_000L;

    /**
     * What to generate. MACs are 48-bit values as in {@link EthernetFlyweight}, addresses {@code int}s as in
     * {@link Ipv4Flyweight}, ports 0..65535.
     */
    public record Config(
        int flows, int frameSize, long srcMac, long dstMac, int srcIp, int dstIp, int srcPort, int dstPort,
        int portsPerSource)
    {
        public static final long DEFAULT_SRC_MAC = 0x02_00_00_00_00_01L;
        public static final long DEFAULT_DST_MAC = 0x02_00_00_00_00_02L;
        /** 198.18.0.1 (RFC 2544 benchmarking range). */
        public static final int DEFAULT_SRC_IP = 0xC6_12_00_01;
        /** 198.19.0.1. */
        public static final int DEFAULT_DST_IP = 0xC6_13_00_01;
        public static final int DEFAULT_SRC_PORT = 1024;
        /** The discard port. */
        public static final int DEFAULT_DST_PORT = 9;

        public Config
        {
            if (flows < 1)
            {
                throw new IllegalArgumentException("flows must be at least 1: " + flows);
            }
            if (frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE)
            {
                throw new IllegalArgumentException(
                    "frame size must be " + MIN_FRAME_SIZE + ".." + MAX_FRAME_SIZE + " (FCS included): " + frameSize);
            }
            if ((srcMac & ~EthernetFlyweight.MAC_MASK) != 0 || (dstMac & ~EthernetFlyweight.MAC_MASK) != 0)
            {
                throw new IllegalArgumentException("a MAC address has more than 48 bits");
            }
            if (srcPort < 0 || srcPort > 0xFFFF || dstPort < 0 || dstPort > 0xFFFF)
            {
                throw new IllegalArgumentException("ports must be 0..65535: " + srcPort + ", " + dstPort);
            }
            if (portsPerSource < 0 || srcPort + portsPerSource > 0x10000)
            {
                throw new IllegalArgumentException(
                    "ports per source must be 0 (one flow per address) or 1.." + (0x10000 - srcPort) + ": " + portsPerSource);
            }
        }

        /** One flow per source address and port, the ports counting on (the default scheme). */
        public Config(
            final int flows, final int frameSize, final long srcMac, final long dstMac, final int srcIp, final int dstIp,
            final int srcPort, final int dstPort)
        {
            this(flows, frameSize, srcMac, dstMac, srcIp, dstIp, srcPort, dstPort, 0);
        }

        /** The default MACs, addresses and ports. */
        public static Config of(final int flows, final int frameSize)
        {
            return new Config(
                flows, frameSize, DEFAULT_SRC_MAC, DEFAULT_DST_MAC, DEFAULT_SRC_IP, DEFAULT_DST_IP,
                DEFAULT_SRC_PORT, DEFAULT_DST_PORT);
        }

        /** The default MACs, addresses and ports, {@code portsPerSource} flows per source address. */
        public static Config ofPortsPerSource(final int flows, final int frameSize, final int portsPerSource)
        {
            return new Config(
                flows, frameSize, DEFAULT_SRC_MAC, DEFAULT_DST_MAC, DEFAULT_SRC_IP, DEFAULT_DST_IP,
                DEFAULT_SRC_PORT, DEFAULT_DST_PORT, portsPerSource);
        }
    }

    private final Config config;
    private final int frameLength;
    private final int srcPortRange;
    private final int portsPerSource;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    public UdpFlowGenerator(final Config config)
    {
        this.config = config;
        this.frameLength = config.frameSize() - FCS_LENGTH;
        this.srcPortRange = 0x10000 - config.srcPort();
        this.portsPerSource = config.portsPerSource();
    }

    public Config config()
    {
        return config;
    }

    /** Bytes each frame occupies in memory and in a pcap record: the frame size less the FCS. */
    public int frameLength()
    {
        return frameLength;
    }

    public int flows()
    {
        return config.flows();
    }

    public int srcIp(final int flow)
    {
        return config.srcIp() + (portsPerSource == 0 ? flow : flow / portsPerSource);
    }

    public int srcPort(final int flow)
    {
        return config.srcPort() + flow % (portsPerSource == 0 ? srcPortRange : portsPerSource);
    }

    /**
     * Writes the frame of {@code flow} at {@code address}, which has room for {@link #frameLength()} bytes.
     *
     * @return the number of bytes written, {@link #frameLength()}.
     */
    public int write(final long address, final int flow)
    {
        final int ipTotalLength = frameLength - EthernetFlyweight.HEADER_LENGTH;
        final int udpLength = ipTotalLength - Ipv4Flyweight.MIN_HEADER_LENGTH;

        ethernet.wrap(address)
            .dstMac(config.dstMac())
            .srcMac(config.srcMac())
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV4);

        final long ipAddress = ethernet.payloadAddress();
        ipv4.wrap(ipAddress)
            .version(Ipv4Flyweight.VERSION)
            .headerLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .tos(0)
            .totalLength(ipTotalLength)
            .id(flow & 0xFFFF)
            .flagsAndFragmentOffset(0)
            .ttl(TTL)
            .protocol(IpProtocol.UDP)
            .srcAddress(srcIp(flow))
            .dstAddress(config.dstIp())
            .updateHeaderChecksum();

        final long udpAddress = ipv4.payloadAddress();
        udp.wrap(udpAddress)
            .srcPort(srcPort(flow))
            .dstPort(config.dstPort())
            .length(udpLength);

        final long payloadAddress = udp.payloadAddress();
        final int payloadLength = udpLength - UdpFlyweight.HEADER_LENGTH;
        for (int i = 0; i < payloadLength; i++)
        {
            Memory.putByte(payloadAddress + i, (byte)i);
        }

        udp.checksum(Checksum.udpIpv4(ipAddress));
        return frameLength;
    }

    /** Writes one record per flow, flow 0 first, to a new pcap file at {@code out}. */
    public void writePcap(final Path out) throws IOException
    {
        try (Arena arena = Arena.ofConfined(); PcapWriter writer = new PcapWriter(out))
        {
            final MemorySegment frame = arena.allocate(frameLength, 64);
            final long address = frame.address();
            for (int flow = 0; flow < config.flows(); flow++)
            {
                write(address, flow);
                writer.write(address, frameLength, PCAP_START_US + flow);
            }
        }
    }

    /** {@link #writePcap(Path)} with the default MACs, addresses and ports. */
    public static void writePcap(final Path out, final int flows, final int frameSize) throws IOException
    {
        new UdpFlowGenerator(Config.of(flows, frameSize)).writePcap(out);
    }
}
