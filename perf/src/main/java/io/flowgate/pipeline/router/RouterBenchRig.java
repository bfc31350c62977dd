package io.flowgate.pipeline.router;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.nativebindings.os.Affinity;
import io.flowgate.pipeline.neigh.NeighbourHandler;
import io.flowgate.pipeline.neigh.NeighbourParams;
import io.flowgate.pipeline.neigh.NeighbourResolver;
import io.flowgate.pipeline.neigh.NeighbourTable;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.PortConfig;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the router worker benchmarks share: a real EAL on the benchmark thread (pinned to the last CPU and
 * registered), a mempool, a loopback {@code net_ring0} port "in" (10.1.0.0/24) that bursts are injected into,
 * a {@code net_null0} port "out" (10.2.0.0/24), the route and neighbour tables, and one burst's worth of
 * injection and drain. {@link #close} checks that every mbuf came back.
 */
final class RouterBenchRig implements AutoCloseable
{
    final int burst;
    final Eal eal;
    final Mempool pool;
    final DpdkPort in;
    final DpdkPort out;
    final RouteTable routes;
    final NeighbourTable neighbours;
    final NeighbourResolver resolver;
    final Arena arena = Arena.ofShared();
    private final MbufBurst inject;
    private final MbufBurst drain;

    /** Writes packet {@code index} of a burst into {@code mbuf} and returns its frame length. */
    interface Writer
    {
        int write(long mbuf, int index);
    }

    RouterBenchRig(final String name, final int burst)
    {
        this.burst = burst;
        eal = Eal.init(List.of("-l", "0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix=fg-jmh-" + name + "-" + ProcessHandle.current().pid(),
            "--log-level=lib.eal:error", "--vdev=net_ring0", "--vdev=net_null0,no-rx=1"));
        Affinity.pinCurrentThread(Runtime.getRuntime().availableProcessors() - 1);
        eal.registerCurrentThread();
        pool = Mempool.createPktmbufPool("jmh-" + name, 8191, 256, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
        in = DpdkPort.open(EthDev.portByName("net_ring0"), PortConfig.DEFAULT, pool);
        out = DpdkPort.open(EthDev.portByName("net_null0"), PortConfig.DEFAULT, pool);
        routes = new RouteTable(new Ipv4Lpm(64), new Ipv6Lpm(64), new NextHopTable(64, 16));
        routes.addConnected("10.1.0.0/24", in.id());
        routes.addConnected("10.2.0.0/24", out.id());
        neighbours = new NeighbourTable(64, 1);
        resolver = new NeighbourResolver(neighbours, NeighbourParams.linuxDefaults(), new SplittableRandom(1), NeighbourHandler.discarding());
        inject = new MbufBurst(arena, burst);
        drain = new MbufBurst(arena, burst);
    }

    /** A full burst from the pool, written by {@code writer}, sent into "in" for the worker to receive. */
    void inject(final Writer writer)
    {
        if (!pool.allocBulk(inject.address(), burst))
        {
            throw new IllegalStateException("pool empty");
        }
        for (int i = 0; i < burst; i++)
        {
            final long m = inject.mbuf(i);
            Mbuf.length(m, writer.write(m, i));
        }
        inject.count(burst);
        inject.transmitOrFree(in, 0);
    }

    /** Receives what waits in "in" and frees it (the injection's cost without the router's). */
    int drain()
    {
        final int n = drain.receive(in, 0);
        drain.free();
        return n;
    }

    @Override
    public void close()
    {
        in.close();
        out.close();
        routes.close();
        neighbours.close();
        final int leaked = pool.inUse();
        pool.close();
        arena.close();
        eal.unregisterCurrentThread();
        eal.close();
        if (leaked != 0)
        {
            throw new IllegalStateException(leaked + " mbufs leaked");
        }
    }
}
