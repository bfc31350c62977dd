package io.flowgate.app;

import org.HdrHistogram.Histogram;
import java.nio.file.Path;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.io.PrintStream;
import java.io.IOException;
import io.flowgate.app.config.FlowgateConfig;
import io.flowgate.app.host.HostServices;
import io.flowgate.app.host.TcpService;
import io.flowgate.app.ct.CtService;
import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.bpf.XdpProgram;
import io.flowgate.xdp.xsk.XskPort;
import io.flowgate.xdp.offload.OffloadAgent;
import io.flowgate.pipeline.offload.WorkerOffload;
import io.flowgate.stack.Stack;
import io.flowgate.stack.StackException;
import java.security.SecureRandom;
import io.flowgate.app.nft.NftService;
import io.flowgate.app.config.RulesFileException;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;
import io.flowgate.app.config.FlowgateConfig.PortSpec;
import io.flowgate.app.config.FlowgateConfig.Prefix;
import io.flowgate.app.config.FlowgateConfig.RouteSpec;
import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.dpdk.EthDev;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.conntrack.CtStats;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.pipeline.conntrack.ConntrackService;
import io.flowgate.pipeline.defrag.Ipv4DefragHook;
import io.flowgate.pipeline.defrag.Ipv4Fragmenter;
import io.flowgate.pipeline.defrag.Ipv4Reassembler;
import io.flowgate.pipeline.neigh.PortAddresses;
import io.flowgate.pipeline.route.IpPrefix;
import io.flowgate.pipeline.route.Ipv4Lpm;
import io.flowgate.pipeline.route.Ipv6Lpm;
import io.flowgate.pipeline.route.NextHopTable;
import io.flowgate.pipeline.route.RouteTable;
import io.flowgate.pipeline.router.Router;
import io.flowgate.pipeline.router.RouterPort;
import io.flowgate.pipeline.router.RouterWorker;
import io.flowgate.pipeline.router.SlowPath;
import io.flowgate.pipeline.dispatch.SoftwareDispatcher;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.port.DpdkPort;
import io.flowgate.pmd.port.Port;
import io.flowgate.pmd.port.PortConfig;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code flowgate run --config FILE}: the IPv4 and IPv6 router the configuration describes, until the duration ends or
 * Ctrl-C. Prints a line of counters per interval and, at the end, the per-port DPDK counters and the
 * mempool check (every mbuf back in its pool).
 */
final class RouterRun
{
    private final FlowgateConfig config;
    private final double durationSeconds;
    private final double warmupSeconds;
    private final double statsIntervalSeconds;
    private Path socket = ManagementServer.DEFAULT_PATH;
    private Router.Instruments instruments = Router.Instruments.NONE;
    private Path latencyHistogram;
    private int mbufs = DEFAULT_MBUFS;

    /** mbufs in the router's pool unless {@code flowgate run --mbufs} says otherwise. */
    static final int DEFAULT_MBUFS = 16383;

    RouterRun(final FlowgateConfig config, final double durationSeconds, final double warmupSeconds, final double statsIntervalSeconds)
    {
        this.config = config;
        this.durationSeconds = durationSeconds;
        this.warmupSeconds = warmupSeconds;
        this.statsIntervalSeconds = statsIntervalSeconds;
    }

    /** Benchmark instruments for the router, and where to write the latency histogram (null: nowhere). */
    /** The management socket for {@code flowgate ct} (used when the configuration enables conntrack). */
    RouterRun socket(final Path socket)
    {
        this.socket = socket;
        return this;
    }

    RouterRun instruments(final Router.Instruments instruments, final Path latencyHistogram)
    {
        this.instruments = instruments;
        this.latencyHistogram = latencyHistogram;
        return this;
    }

    /**
     * mbufs in the router's pool. {@code net_pcap} with {@code infinite_rx} keeps one per pcap frame for the whole run, so a
     * benchmark replaying 100k flows needs more than the default.
     */
    RouterRun mbufs(final int mbufs)
    {
        this.mbufs = mbufs;
        return this;
    }

    static List<String> ealArgs(final FlowgateConfig config)
    {
        final List<String> args = new ArrayList<>(config.eal());
        if (!args.contains("-l") && !args.contains("--lcores") && !args.contains("-c"))
        {
            args.addAll(List.of("-l", "0"));
        }
        if (args.stream().noneMatch(a -> a.startsWith("--file-prefix")))
        {
            args.add("--file-prefix=flowgate-" + ProcessHandle.current().pid());
        }
        for (final PortSpec port : config.ports())
        {
            if (port.isXsk())
            {
                continue; // opened by flowgate (XskPort), not a DPDK device
            }
            if (port.device().startsWith("net_"))
            {
                args.add("--vdev=" + port.device());
            }
            else
            {
                args.addAll(List.of("-a", port.device()));
            }
        }
        return args;
    }

    int run()
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        for (final int cpu : config.workers())
        {
            if (cpu >= cpus)
            {
                throw new IllegalArgumentException("workers: CPU " + cpu + " does not exist (this machine has CPUs 0.." + (cpus - 1) + ")");
            }
        }
        // The loader already refused a dispatcher that is also a worker, with the file's line.
        if (config.dispatch() == FlowgateConfig.Dispatch.SOFTWARE && config.dispatcher() >= cpus)
        {
            throw new IllegalArgumentException("dispatcher: CPU " + config.dispatcher() + " does not exist (this machine has CPUs 0.."
                + (cpus - 1) + ")");
        }
        final Eal eal = Eal.init(ealArgs(config));
        try (StopSignal stop = new StopSignal())
        {
            try
            {
                return route(eal, stop);
            }
            finally
            {
                eal.close();
            }
        }
    }

    private int route(final Eal eal, final StopSignal stop)
    {
        final int workers = config.workers().size();
        final boolean software = config.dispatch() == FlowgateConfig.Dispatch.SOFTWARE;
        // Software dispatch: one receive queue per port, the dispatcher's; a transmit queue per worker when every
        // port has enough, else one, the dispatcher's, and the workers hand their packets back (docs/pipeline-dispatch.md).
        final int queues = software ? 1 : workers;
        final int txQueues = software ? Router.softwareDispatchTxQueues(maxTxQueues(), workers) : workers;
        final Mempool pool = Mempool.createPktmbufPool("router-pool", mbufs, 256, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
        final int baseline = pool.inUse();
        final List<DpdkPort> opened = new ArrayList<>();
        final List<XskPort> xskOpened = new ArrayList<>();
        OffloadRuntime offload = null;
        try (RouteTable routes = new RouteTable(new Ipv4Lpm(1024), new Ipv6Lpm(1024), new NextHopTable(4096, 1024)))
        {
            final RouterPort[] ports = new RouterPort[config.ports().size()];
            // AF_XDP ports are numbered by flowgate, after DPDK's ports
            int nextXskId = 0;
            for (final PortSpec spec : config.ports())
            {
                if (!spec.isXsk())
                {
                    nextXskId = Math.max(nextXskId, EthDev.portByName(spec.device().split(",", 2)[0]) + 1);
                }
            }
            for (int i = 0; i < ports.length; i++)
            {
                final PortSpec spec = config.ports().get(i);
                final int id;
                final Port port;
                if (spec.isXsk())
                {
                    id = nextXskId++;
                    final XskPort xsk = XskPort.open(id, spec.name(), spec.xsk());
                    xskOpened.add(xsk);
                    final int interfaceQueues = XskPort.interfaceRxQueues(spec.xsk().iface());
                    if (interfaceQueues > spec.xsk().firstQueue() + spec.xsk().queues() || spec.xsk().firstQueue() > 0)
                    {
                        System.err.println("flowgate: warning: port " + spec.name() + ": " + spec.xsk().iface() + " has " + interfaceQueues
                            + " receive queues and the port binds " + spec.xsk().queues() + " from queue " + spec.xsk().firstQueue()
                            + ": what the interface steers to the others reaches Linux, not flowgate (ethtool -L, or more queues)");
                    }
                    port = xsk;
                }
                else
                {
                    id = EthDev.portByName(spec.device().split(",", 2)[0]);
                    final DpdkPort dpdk = DpdkPort.open(id, new PortConfig(queues, txQueues, spec.rxDescriptors(), spec.txDescriptors(),
                        software ? 0 : EthDev.RSS_IP | EthDev.RSS_UDP | EthDev.RSS_TCP, 0, true), pool);
                    opened.add(dpdk);
                    port = dpdk;
                }
                final PortAddresses addresses = new PortAddresses(id, port.macAddress(), spec.addresses().size() + 1);
                for (final Prefix prefix : spec.addresses())
                {
                    if (prefix.address() instanceof Inet4Address)
                    {
                        final int address = ByteBuffer.wrap(prefix.address().getAddress()).getInt();
                        addresses.addIpv4(address);
                        routes.addConnected(network(prefix), id);
                    }
                    else
                    {
                        final IpPrefix address = ipv6(prefix.address());
                        addresses.addIpv6(address.hi(), address.lo());
                        routes.add(new RouteTable.Route(IpPrefix.ofIpv6(address.hi(), address.lo(), prefix.length()).masked(),
                            RouteTable.Kind.CONNECTED, List.of(new RouteTable.Via(null, id))));
                    }
                }
                if (addresses.ipv6Count() > 0)
                {
                    // As Linux on an interface with IPv6: fe80::/64 is on every link; not a route of the shared
                    // table (a link-local destination is never forwarded), but the port answers for its address.
                    addresses.addLinkLocal();
                }
                ports[i] = new RouterPort(new NamedPort(port, spec.name()), port.macAddress(), spec.mtu(), addresses);
                System.out.println("port " + id + " " + spec.name() + ": " + spec.device() + " mac " + EthernetFlyweight.macToString(port.macAddress())
                    + " mtu " + spec.mtu() + " addresses " + spec.addresses() + (addresses.ipv6Count() > 0
                    ? " link-local " + IpPrefix.ofIpv6(PortAddresses.LINK_LOCAL_HI, PortAddresses.eui64(port.macAddress()), 128).addressText()
                    : ""));
            }
            if (config.offload() != null)
            {
                offload = startOffload(xskOpened);
            }
            for (final RouteSpec route : config.routes())
            {
                if (route.to().address() instanceof Inet6Address && route.port() != null && !route.via().isEmpty())
                {
                    // The port is given (link-local gateways need it): the gateways leave by it, as "ip route ... dev".
                    final int portId = ports[portIndex(route.port())].id();
                    final List<RouteTable.Via> via = new ArrayList<>();
                    for (final InetAddress gateway : route.via())
                    {
                        via.add(new RouteTable.Via(ipv6(gateway), portId));
                    }
                    routes.add(new RouteTable.Route(IpPrefix.parse(route.to().toString()), RouteTable.Kind.STATIC, via));
                    continue;
                }
                if (route.via().isEmpty())
                {
                    routes.addConnected(route.to().toString(), ports[portIndex(route.port())].id());
                }
                else
                {
                    routes.addStatic(route.to().toString(), route.via().stream().map(InetAddress::getHostAddress).toArray(String[]::new));
                }
            }
            for (final RouteTable.Route route : routes.routes())
            {
                System.out.println("route " + route);
            }
            final int[] workerCpus = config.workers().stream().mapToInt(Integer::intValue).toArray();
            final int slowPathCpu = config.workers().contains(0) ? workerCpus[0] : 0;
            final List<Router.StaticNeighbour> neighbours = new ArrayList<>();
            final List<Router.StaticNeighbour6> neighbours6 = new ArrayList<>();
            for (final FlowgateConfig.NeighbourSpec n : config.neighbours())
            {
                if (n.address() instanceof Inet4Address)
                {
                    neighbours.add(new Router.StaticNeighbour(ports[portIndex(n.port())].id(), ByteBuffer.wrap(n.address().getAddress()).getInt(),
                        n.mac()));
                }
                else
                {
                    final IpPrefix address = ipv6(n.address());
                    neighbours6.add(new Router.StaticNeighbour6(ports[portIndex(n.port())].id(), address.hi(), address.lo(), n.mac()));
                }
            }
            final Router router;
            // The host stack (a host section): runs on the slow path's thread; the router closes it.
            final Stack stack = config.host() == null ? null : new Stack(config.host().stack(), new SecureRandom().nextLong());
            try
            {
                router = Router.start(eal, ports, routes, pool, workerCpus, software ? config.dispatcher() : -1, slowPathCpu,
                    config.burst(), config.ringSize(), neighbours, neighbours6, instruments, config.conntrack(),
                    config.nat() == null ? null : config.nat().withPortNames(config.ports().stream().map(PortSpec::name).toList()),
                    config.rules() == null ? Ruleset.empty() : config.rules(), stack,
                    config.offload() == null ? 0 : config.offload().maxFlows());
            }
            catch (final RulesetException ex)
            {
                // What the loader's checks cannot see (the engine's own limits): refused at the rule, nothing started.
                final Origin at = ex.origin();
                final String prefix = at + ": ";
                throw new RulesFileException(Path.of(at.file()), at.line(), at.column(),
                    ex.getMessage().startsWith(prefix) ? ex.getMessage().substring(prefix.length()) : ex.getMessage());
            }
            System.out.println("routing on " + workers + " worker(s), CPUs " + config.workers() + ", slow path on CPU " + slowPathCpu
                + (software ? ", software dispatch on CPU " + config.dispatcher() + (router.dispatcherTransmits() ? ", the dispatcher transmits"
                : ", workers transmit on their own queues") : ", rss dispatch"));
            final ManagementServer management;
            try
            {
                // The socket serves flowgate ct (with conntrack) and flowgate nft (with a ruleset).
                management = router.conntrack() != null ? ManagementServer.start(socket, router.conntrack())
                    : config.rules() != null || stack != null ? new ManagementServer(socket).start() : null;
            }
            catch (final IOException | RuntimeException ex)
            {
                router.close();
                throw new IllegalStateException("management socket " + socket + ": " + ex.getMessage(), ex);
            }
            if (management != null && router.conntrack() != null)
            {
                System.out.println("conntrack: " + router.conntrack().capacity() + " connections (" + config.conntrack().capacity()
                    + " per worker); flowgate ct talks to " + socket);
            }
            if (management != null && (router.conntrack() != null || config.rules() != null))
            {
                management.register(NftService.NAME, new NftService(NftService.of(router.rules()),
                    config.ports().stream().map(PortSpec::name).toList(), router.conntrack() != null));
            }
            if (config.rules() != null)
            {
                int rules = 0;
                for (final Table table : config.rules().tables())
                {
                    for (final Chain chain : table.chains())
                    {
                        rules += chain.rules().size();
                    }
                }
                System.out.println("rules: " + config.rulesFile() + ", " + config.rules().tables().size() + " table(s), " + rules
                    + " rule(s); flowgate nft talks to " + socket);
            }
            if (offload != null)
            {
                startAgent(offload, router, xskOpened);
            }
            if (management != null && offload != null)
            {
                final OffloadRuntime o = offload;
                management.register(OffloadCommand.SERVICE, (args, response) -> OffloadCommand.serve(o, args, response));
                // flowgate ct list/get: the map's counters folded into the entries first
                management.register(CtService.NAME, new CtService(router.conntrack()).foldFirst(() -> o.foldNow(2000)));
                System.out.println("offload: " + (o.enabled() ? "on" : "off") + ", " + config.offload().maxFlows()
                    + " flows; flowgate offload talks to " + socket);
            }
            if (management != null && router.natStats() != null)
            {
                management.register(NatCommand.SERVICE, (args, response) -> NatCommand.serve(router, args, response));
            }
            if (config.nat() != null)
            {
                System.out.println("nat: " + config.nat().rules().size() + " rule(s), " + config.nat().mappings().size()
                    + " static mapping(s), filtering " + config.nat().filtering().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            HostServices services = null;
            if (stack != null)
            {
                try
                {
                    services = HostServices.start(stack.sockets(), config.host().services());
                }
                catch (final StackException | RuntimeException ex)
                {
                    management.close();
                    router.close();
                    throw new IllegalStateException("host services: " + ex.getMessage(), ex);
                }
                new TcpService(stack, services).register(management);
                System.out.println("host stack: tcp " + config.host().stack().congestion() + ", services "
                    + (services.describe().isEmpty() ? "none" : String.join(", ", services.describe())) + "; flowgate ss and flowgate tcp talk to "
                    + socket);
            }
            try
            {
                report(router, stop);
            }
            finally
            {
                if (services != null)
                {
                    services.close();
                }
                if (management != null)
                {
                    management.close();
                }
            }
            router.close();
            if (offload != null)
            {
                for (final String line : offload.status())
                {
                    System.out.println("offload summary " + line);
                }
                offload.close(); // the agent's final fold, then the program leaves every interface
                offload = null;
            }
            final List<Port> all = new ArrayList<>(opened);
            all.addAll(xskOpened);
            for (final Port port : all)
            {
                final EthDev.Stats s = port.stats();
                System.out.println("port " + port.id() + " " + port.name() + ": rx " + s.ipackets() + " tx " + s.opackets() + " missed "
                    + s.imissed() + " rx-nombuf " + s.rxNoMbuf());
            }
            closeXsk(xskOpened, null);
            DpdkPort.closeAll(opened);
            opened.clear();
            System.out.println("mbufs in use: " + pool.inUse() + " after shutdown (baseline " + baseline + ")");
            final int leaked = pool.inUse() - baseline;
            if (leaked != 0)
            {
                throw new IllegalStateException(leaked + " mbufs leaked");
            }
            pool.close();
            return 0;
        }
        catch (final RuntimeException ex)
        {
            if (offload != null)
            {
                try
                {
                    offload.close();
                }
                catch (final RuntimeException closing)
                {
                    ex.addSuppressed(closing);
                }
            }
            closeXsk(xskOpened, ex);
            DpdkPort.closeAll(opened, ex);
            throw ex;
        }
    }

    /**
     * The {@code offload} section: flowgate's XDP program loaded, switched to the configured state, attached to every xsk
     * port's interface (which are all the ports: the loader checked) with each queue's socket in its xskmap.
     */
    private OffloadRuntime startOffload(final List<XskPort> xskPorts)
    {
        final FlowgateConfig.OffloadConfig o = config.offload();
        final OffloadRuntime runtime = new OffloadRuntime(XdpProgram.load(o.maxFlows()), o.maxFlows());
        try
        {
            final XdpProgram program = runtime.program();
            program.fastPath(o.enabled());
            for (final XskPort port : xskPorts)
            {
                final int ifindex = port.ifindex();
                // attached, then each queue's socket in its xskmap slot (until then a packet without a socket passes to Linux)
                final XdpMode mode = program.attach(port.id(), ifindex, o.xdpMode());
                for (int q = 0; q < port.rxQueues(); q++)
                {
                    program.registerSocket(ifindex, port.interfaceQueue(q), port.socketFd(q));
                }
                final String iface = config.ports().get(portIndex(port.name())).xsk().iface();
                runtime.attached(new OffloadRuntime.Attached(port.name(), port.id(), iface, ifindex, mode, port.zeroCopy()));
                System.out.println("offload: " + program + " on " + iface + " (ifindex " + ifindex + ") mode "
                    + mode.name().toLowerCase(Locale.ROOT) + ", " + (port.zeroCopy() ? "zero-copy" : "copy") + " sockets");
            }
            return runtime; // the agent starts with the router (startAgent)
        }
        catch (final RuntimeException ex)
        {
            runtime.close();
            throw ex;
        }
    }

    /** offload's OffloadAgent over the router's workers: switched to the configured state, then its thread started. */
    private void startAgent(final OffloadRuntime runtime, final Router router, final List<XskPort> xskPorts)
    {
        final FlowgateConfig.OffloadConfig o = config.offload();
        int maxId = 0;
        for (final XskPort port : xskPorts)
        {
            maxId = Math.max(maxId, port.id());
        }
        final int[] ifindexByPort = new int[maxId + 1];
        for (final XskPort port : xskPorts)
        {
            ifindexByPort[port.id()] = port.ifindex();
        }
        final OffloadAgent agent = OffloadAgent.create(router.offloads(), runtime.program(), ifindexByPort,
            new io.flowgate.xdp.offload.OffloadConfig(o.syncIntervalNs(), 1_000_000L));
        agent.enabled(o.enabled());
        agent.start();
        runtime.agent(new OffloadRuntime.Agent()
        {
            @Override
            public void enabled(final boolean on)
            {
                agent.enabled(on);
            }

            @Override
            public boolean foldNow(final long timeoutMs)
            {
                return agent.syncNow(timeoutMs * 1_000_000L);
            }

            @Override
            public String counters()
            {
                final StringBuilder b = new StringBuilder(agent.enabled() ? "enabled" : "disabled");
                b.append(" offloaded_now=").append(agent.offloadedNow());
                for (int c = 0; c < OffloadAgent.COUNTERS; c++)
                {
                    b.append(' ').append(OffloadAgent.counterName(c)).append('=').append(agent.counter(c));
                }
                b.append(" worker_requested=").append(agent.workerCounter(WorkerOffload.REQUESTED))
                    .append(" worker_request_ring_full=").append(agent.workerCounter(WorkerOffload.REQUEST_RING_FULL));
                return b.toString();
            }

            @Override
            public void close()
            {
                agent.close();
            }
        });
        System.out.println("offload agent: " + router.offloads().length + " worker(s), fold every " + o.syncIntervalNs() / 1_000_000 + " ms, "
            + (o.enabled() ? "on" : "off"));
    }

    private static void closeXsk(final List<XskPort> ports, final RuntimeException failure)
    {
        for (final XskPort port : ports)
        {
            try
            {
                port.close();
            }
            catch (final RuntimeException ex)
            {
                if (failure == null)
                {
                    throw ex;
                }
                failure.addSuppressed(ex);
            }
        }
        ports.clear();
    }

    /**
     * A counter line per interval until the duration (after the warm-up) ends or a stop is requested; then the
     * summary, whose rates are over the window after the warm-up.
     */
    private void report(final Router router, final StopSignal stop)
    {
        final long startNs = System.nanoTime();
        final long warmEndNs = startNs + (long)(warmupSeconds * 1e9);
        final long endNs = durationSeconds == 0 ? Long.MAX_VALUE : warmEndNs + (long)(durationSeconds * 1e9);
        final long intervalNs = statsIntervalSeconds == 0 ? Long.MAX_VALUE : (long)(statsIntervalSeconds * 1e9);
        long nextNs = intervalNs == Long.MAX_VALUE ? Long.MAX_VALUE : startNs + intervalNs;
        long windowStartNs = warmupSeconds == 0 ? startNs : -1;
        long rx0 = 0;
        long tx0 = 0;
        while (!stop.requested() && System.nanoTime() < endNs)
        {
            final long nowNs = System.nanoTime();
            if (windowStartNs < 0 && nowNs >= warmEndNs)
            {
                windowStartNs = nowNs;
                rx0 = router.received();
                tx0 = router.transmitted();
                router.latencyInterval(); // the warm-up's transit times are not the window's
            }
            if (nowNs >= nextNs)
            {
                System.out.println(line(router, "route", (nowNs - startNs) / 1e9));
                nextNs += intervalNs;
            }
            sleepMillis(10);
        }
        final long nowNs = System.nanoTime();
        if (windowStartNs < 0)
        {
            windowStartNs = nowNs;
        }
        final double window = Math.max(1e-9, (nowNs - windowStartNs) / 1e9);
        System.out.println(line(router, String.format(Locale.ROOT, "route summary window_s=%.3f rx_pps=%.0f tx_pps=%.0f", window,
            (router.received() - rx0) / window, (router.transmitted() - tx0) / window),
            (nowNs - startNs) / 1e9));
        System.out.println(defragLine(router));
        if (router.conntrack() != null)
        {
            System.out.println(conntrackLine(router.conntrack()));
        }
        final NatStats nat = router.natStats();
        if (nat != null)
        {
            System.out.println("nat summary " + nat);
        }
        if (instruments.latency())
        {
            reportLatency(router.latencyInterval());
        }
    }

    /** The window's transit times: one line of percentiles, and the full distribution when asked for. */
    private void reportLatency(final Histogram h)
    {
        System.out.println(String.format(Locale.ROOT,
            "route latency packets=%d p50_ns=%d p90_ns=%d p99_ns=%d p99_9_ns=%d max_ns=%d mean_ns=%.0f rx_rate_limit_pps=%d",
            h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99),
            h.getValueAtPercentile(99.9), h.getMaxValue(), h.getMean(), instruments.rxPacketsPerSecond()));
        if (latencyHistogram != null)
        {
            try (PrintStream out = new PrintStream(Files.newOutputStream(latencyHistogram), true, StandardCharsets.UTF_8))
            {
                h.outputPercentileDistribution(out, 1000.0);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot write " + latencyHistogram + ": " + ex.getMessage(), ex);
            }
        }
    }

    /** Connection tracking, summed over the workers: entries and the /proc/net/stat/nf_conntrack counters. */
    static String conntrackLine(final ConntrackService conntrack)
    {
        final CtStats s = conntrack.totals();
        return String.format(Locale.ROOT, "conntrack summary entries=%d capacity=%d found=%d new=%d invalid=%d insert=%d insert_failed=%d "
                + "drop=%d early_drop=%d error=%d search_restart=%d clash_resolve=%d delete=%d expired=%d icmp_error=%d events_lost=%d",
            conntrack.count(), conntrack.capacity(), s.found, s.created, s.invalid, s.insert, s.insertFailed, s.drop, s.earlyDrop, s.error,
            s.searchRestart, s.clashResolve, s.delete, s.expired, s.icmpError, s.eventsLost);
    }

    /** Defragmentation (SNMP Reasm*, summed over the workers) and fragmentation on output (Frag*). */
    private static String defragLine(final Router router)
    {
        return String.format(Locale.ROOT, "defrag summary reasm_reqds=%d reasm_oks=%d reasm_fails=%d reasm_timeout=%d reasm_overlaps=%d "
                + "duplicates=%d memory_limit=%d source_limit=%d no_buffer=%d no_mbuf=%d frag_oks=%d frag_fails=%d frag_creates=%d "
                + "fragment_fails=%d host_unreachable=%d",
            router.reassemblerTotal(Ipv4Reassembler.REASM_REQDS), router.reassemblerTotal(Ipv4Reassembler.REASM_OKS),
            router.reassemblerTotal(Ipv4Reassembler.REASM_FAILS), router.reassemblerTotal(Ipv4Reassembler.REASM_TIMEOUT),
            router.reassemblerTotal(Ipv4Reassembler.REASM_OVERLAPS), router.reassemblerTotal(Ipv4Reassembler.DUPLICATES),
            router.reassemblerTotal(Ipv4Reassembler.MEMORY_LIMIT_DROPS), router.reassemblerTotal(Ipv4Reassembler.SOURCE_LIMIT_DROPS),
            router.reassemblerTotal(Ipv4Reassembler.NO_BUFFER_DROPS), router.defragTotal(Ipv4DefragHook.NO_MBUF),
            router.fragmenterCounter(Ipv4Fragmenter.FRAG_OKS), router.fragmenterCounter(Ipv4Fragmenter.FRAG_FAILS),
            router.fragmenterCounter(Ipv4Fragmenter.FRAG_CREATES), router.slowPathCounter(SlowPath.FRAGMENT_FAILS),
            router.slowPathCounter(SlowPath.HOST_UNREACHABLE));
    }

    /**
     * rx/tx are what the ports received and took (with software dispatch: the dispatcher's); with software
     * dispatch the line ends with the dispatcher's and the rings' counters, per worker joined by '/'.
     */
    private static String line(final Router router, final String prefix, final double seconds)
    {
        final String base = String.format(Locale.ROOT, "%s t=%.1fs rx=%d tx=%d dropped=%d dropped_ipv6=%d dropped_other_ethertype=%d tx_full=%d "
                + "to_slow_path=%d slow_path_full=%d "
                + "arp_replies=%d echo_replies=%d icmp_errors=%d icmp_limited=%d arp_requests=%d resolved_sent=%d neighbours=%d "
                + "ipv6_rx=%d na_sent=%d ns_sent=%d echo6_replies=%d icmp6_errors=%d announcements=%d "
                + "slow_tx_full=%d echo_limited=%d host_delivered=%d host_sent=%d host_no_route=%d host_unsendable=%d",
            prefix, seconds, router.received(), router.transmitted(),
            router.workerTotal(RouterWorker.DROPPED), router.workerTotal(RouterWorker.NOT_ROUTED_IPV6),
            router.workerTotal(RouterWorker.OTHER_ETHERTYPE), router.transmitFull(),
            router.workerTotal(RouterWorker.TO_SLOW_PATH),
            router.workerTotal(RouterWorker.SLOW_PATH_FULL), router.slowPathCounter(SlowPath.ARP_REPLIES),
            router.slowPathCounter(SlowPath.ECHO_REPLIES), router.slowPathCounter(SlowPath.ICMP_ERRORS),
            router.slowPathCounter(SlowPath.ICMP_RATE_LIMITED), router.slowPathCounter(SlowPath.SOLICITATIONS),
            router.slowPathCounter(SlowPath.RESOLVED_SENT), router.neighbours(), router.workerTotal(RouterWorker.IPV6_RX),
            router.slowPathCounter(SlowPath.NEIGHBOUR_ADVERTISEMENTS), router.slowPathCounter(SlowPath.NEIGHBOUR_SOLICITATIONS),
            router.slowPathCounter(SlowPath.ECHO6_REPLIES), router.slowPathCounter(SlowPath.ICMP6_ERRORS),
            router.slowPathCounter(SlowPath.ANNOUNCEMENTS), router.slowPathCounter(SlowPath.TX_FULL),
            router.slowPathCounter(SlowPath.ECHO_RATE_LIMITED), router.slowPathCounter(SlowPath.HOST_DELIVERED),
            router.slowPathCounter(SlowPath.HOST_SENT), router.slowPathCounter(SlowPath.HOST_NO_ROUTE),
            router.slowPathCounter(SlowPath.HOST_UNSENDABLE));
        final SoftwareDispatcher d = router.dispatcher();
        if (d == null)
        {
            return base;
        }
        final int n = router.workerCount();
        final long[][] v = new long[10][n];
        for (int w = 0; w < n; w++)
        {
            v[0][w] = d.dispatched(w);
            v[1][w] = d.dropped(w);
            v[2][w] = router.inputRing(w).fullEvents();
            v[3][w] = router.inputRing(w).noEmptyBurstEvents();
            v[4][w] = router.inputRing(w).emptyPolls();
            v[5][w] = router.txRing(w) == null ? 0 : router.txRing(w).fullEvents();
            v[6][w] = router.txRing(w) == null ? 0 : router.txRing(w).noEmptyBurstEvents();
            v[7][w] = router.txRing(w) == null ? 0 : router.txRing(w).emptyPolls();
            v[8][w] = router.worker(w).counter(RouterWorker.RX);
            v[9][w] = router.worker(w).counter(RouterWorker.TX);
        }
        return base + String.format(Locale.ROOT, " dispatch_rx=%d dispatch_tx=%d dispatch_tx_full=%d dispatched=%s dispatch_dropped=%s "
                + "ring_full=%s ring_no_empty_burst=%s ring_empty_polls=%s tx_ring_full=%s tx_ring_no_empty_burst=%s tx_ring_empty_polls=%s "
                + "worker_rx=%s worker_tx=%s",
            d.counter(SoftwareDispatcher.RX), d.counter(SoftwareDispatcher.TX), d.counter(SoftwareDispatcher.TX_FULL), join(v[0]), join(v[1]),
            join(v[2]), join(v[3]), join(v[4]), join(v[5]), join(v[6]), join(v[7]), join(v[8]), join(v[9]));
    }

    private static String join(final long[] values)
    {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.length; i++)
        {
            b.append(i == 0 ? "" : "/").append(values[i]);
        }
        return b.toString();
    }

    private int[] maxTxQueues()
    {
        final int[] max = new int[config.ports().size()];
        for (int i = 0; i < max.length; i++)
        {
            final PortSpec spec = config.ports().get(i);
            max[i] = spec.isXsk() ? spec.xsk().queues() : EthDev.info(EthDev.portByName(spec.device().split(",", 2)[0])).maxTxQueues();
        }
        return max;
    }

    private static String network(final Prefix prefix)
    {
        final int address = ByteBuffer.wrap(prefix.address().getAddress()).getInt();
        final int mask = prefix.length() == 0 ? 0 : -1 << (32 - prefix.length());
        final int net = address & mask;
        return ((net >>> 24) & 0xFF) + "." + ((net >>> 16) & 0xFF) + "." + ((net >>> 8) & 0xFF) + "." + (net & 0xFF) + "/" + prefix.length();
    }

    private static IpPrefix ipv6(final InetAddress address)
    {
        final ByteBuffer bytes = ByteBuffer.wrap(address.getAddress());
        return IpPrefix.ofIpv6(bytes.getLong(), bytes.getLong(), 128);
    }

    private int portIndex(final String name)
    {
        for (int i = 0; i < config.ports().size(); i++)
        {
            if (config.ports().get(i).name().equals(name))
            {
                return i;
            }
        }
        throw new IllegalStateException("no port named " + name); // the loader refuses such a file
    }

    private static void sleepMillis(final long millis)
    {
        try
        {
            TimeUnit.MILLISECONDS.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
