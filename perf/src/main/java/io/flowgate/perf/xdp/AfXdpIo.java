package io.flowgate.perf.xdp;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.fwd.ForwardCounters;
import io.flowgate.pmd.fwd.IoForwarder;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.Port;
import io.flowgate.pmd.port.PortConfig;
import io.flowgate.xdp.xsk.XskConfig;
import io.flowgate.xdp.xsk.XskPool;
import io.flowgate.xdp.xsk.XskPort;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The afxdp-io bench's forwarder (perf/benches/afxdp-io.sh): pmd's {@link IoForwarder} (one worker on
 * {@code fwdCore}, bursts of 32, busy spin) between two interfaces, over {@link XskPort}s ({@code xsk}) or over
 * DPDK's {@code net_af_xdp} vdevs ({@code dpdk}); the rest of the process is identical.
 * <p>
 * Usage: {@code AfXdpIo xsk|dpdk IN OUT MAIN_CORE FWD_CORE PREFIX}. Prints {@code READY} once forwarding, then
 * runs until stdin closes; prints {@code tx=N rx=N} at exit.
 */
public final class AfXdpIo
{
    private AfXdpIo()
    {
    }

    private static XskConfig busyPoll(final XskConfig c)
    {
        return new XskConfig(c.iface(), c.queues(), c.firstQueue(), c.bind(), c.ringSize(), c.frames(), 20, 64, c.program(), c.xdpMode());
    }

    public static void main(final String[] args) throws Exception
    {
        final boolean dpdk = "dpdk".equals(args[0]);
        final String in = args[1];
        final String out = args[2];
        final List<String> eal = new ArrayList<>(List.of("-l", args[3] + "," + args[4], "--no-huge", "-m", "512", "--no-pci",
            "--file-prefix=" + args[5], "--log-level=lib.eal:error"));
        if (dpdk)
        {
            eal.add("--vdev=net_af_xdp0,iface=" + in);
            eal.add("--vdev=net_af_xdp1,iface=" + out);
        }
        final Eal e = Eal.init(eal);
        final List<Port> ports = new ArrayList<>();
        Mempool pool = null;
        XskPool xskPool = null;
        if (dpdk)
        {
            pool = Mempool.createPktmbufPool("afxdp-io", 16383, 256, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
            // The same ring sizes as the XskPort side (net_af_xdp sizes its rx and fill rings from the descriptors).
            final int ring = XskPort.defaults(in).ringSize();
            final PortConfig config = new PortConfig(1, 1, ring, ring, PortConfig.DEFAULT.rssHashFunctions(), 0, true);
            ports.add(DpdkPort.open(EthDev.portByName("net_af_xdp0"), config, pool));
            ports.add(DpdkPort.open(EthDev.portByName("net_af_xdp1"), config, pool));
        }
        else
        {
            // DPDK 22.11's net_af_xdp defaults: preferred busy polling, SO_BUSY_POLL 20 us, budget 64.
            // One pool for both ports, as the DPDK side's one mempool: forwarding needs no copy on either.
            xskPool = XskPool.create("afxdp-io", 16383);
            ports.add(XskPort.open(0, in, busyPoll(XskPort.defaults(in)), xskPool));
            ports.add(XskPort.open(1, out, busyPoll(XskPort.defaults(out)), xskPool));
        }
        final IoForwarder forwarder = IoForwarder.start(e, IoForwarder.pairedStreams(ports), new int[] {Integer.parseInt(args[4])}, 32,
            new IdleStrategy[] {new BusySpinIdleStrategy()});
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() != -1)
        {
            // until the bench closes our stdin
        }
        forwarder.close();
        System.out.println("tx=" + forwarder.total(ForwardCounters.TX) + " rx=" + forwarder.total(ForwardCounters.RX));
        for (final Port port : ports)
        {
            port.close();
        }
        if (pool != null)
        {
            pool.close();
        }
        if (xskPool != null)
        {
            xskPool.close();
        }
        e.close();
    }
}
