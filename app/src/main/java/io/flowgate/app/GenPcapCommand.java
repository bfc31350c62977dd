package io.flowgate.app;

import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a pcap of UDP test traffic: one frame per flow, for {@code net_pcap}'s {@code rx_pcap}. */
@Command(name = "gen-pcap", mixinStandardHelpOptions = true,
    description = "Write a pcap of Ethernet/IPv4/UDP frames, one per flow (flows differ in source address and port).")
final class GenPcapCommand implements Callable<Integer>
{
    @Option(names = "--out", required = true, description = "pcap file to write")
    Path out;

    @Option(names = "--flows", defaultValue = "4096", description = "number of flows (frames), default ${DEFAULT-VALUE}")
    int flows;

    @Option(names = "--size", defaultValue = "64",
        description = "frame size in bytes including the 4-byte FCS, as testpmd and TRex count (64 writes 60), default ${DEFAULT-VALUE}")
    int size;

    @Option(names = "--ports-per-source", defaultValue = "0",
        description = "flows per source address, on consecutive source ports from 1024 (CSIT's NAT44 scheme: 63);"
            + " 0: every flow its own address and port, default ${DEFAULT-VALUE}")
    int portsPerSource;

    @Override
    public Integer call() throws Exception
    {
        if (flows < 1 || flows > 1 << 24)
        {
            throw new IllegalArgumentException("--flows must be 1..16777216: " + flows);
        }
        if (size < 64 || size > 9018)
        {
            throw new IllegalArgumentException("--size must be 64..9018: " + size);
        }
        final UdpFlowGenerator generator =
            new UdpFlowGenerator(UdpFlowGenerator.Config.ofPortsPerSource(flows, size, portsPerSource));
        generator.writePcap(out);
        System.out.println("wrote " + flows + " frames of " + size + " B (with FCS) to " + out
            + (portsPerSource == 0 ? "" : ", " + ((flows + portsPerSource - 1) / portsPerSource)
                + " source addresses " + Ipv4Flyweight.addressToString(generator.srcIp(0)) + "-"
                + Ipv4Flyweight.addressToString(generator.srcIp(flows - 1)) + " of " + portsPerSource + " ports"));
        return 0;
    }
}
