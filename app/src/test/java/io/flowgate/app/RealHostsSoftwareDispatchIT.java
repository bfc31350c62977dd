package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router of {@link RealHostsRouterIT} with {@code dispatch: software}: a dispatcher core reads both
 * single-queue af_packet ports, deals packets to the worker's ring and transmits what the worker hands back.
 * This machine has two CPUs, so one worker (the last CPU) and the dispatcher (CPU 0, with the slow path).
 * The counter lines must show the dispatcher carried the traffic.
 */
class RealHostsSoftwareDispatchIT
{
    private static Testbed testbed;
    private static FlowgateCli flowgate;
    private static Path config;

    @BeforeAll
    static void startRouter() throws Exception
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        Assumptions.assumeTrue(cpus >= 2, "a dispatcher and a worker need two CPUs");
        testbed = new Testbed("sd", true);
        config = Files.createTempFile("flowgate-swd-", ".yaml");
        final int worker = cpus - 1;
        final String routed = RouterDemo.routingConfig(testbed, "fg-it-sd-" + ProcessHandle.current().pid(), worker);
        final String software = routed.replace("workers: [" + worker + "]", "dispatch: software\ndispatcher: 0\nworkers: [" + worker + "]");
        assertTrue(software.contains("dispatch: software"), software);
        Files.writeString(config, software);
        flowgate = FlowgateCli.startWithPrefix(testbed.flowgateInFw(List.of()),
            List.of("run", "--config", config.toString(), "--stats-interval", "0.5"));
        assertTrue(flowgate.awaitLine("route t=", 60), "router started:\n" + flowgate);
        assertNotNull(flowgate.line("routing on 1 worker(s)"), flowgate.toString());
        assertTrue(flowgate.line("routing on 1 worker(s)").contains("software dispatch on CPU 0"), flowgate.toString());
    }

    @AfterAll
    static void stop() throws Exception
    {
        if (testbed == null)
        {
            return;
        }
        try
        {
            if (flowgate != null && flowgate.process.isAlive())
            {
                final String summary = flowgate.stopCleanly("route summary ");
                System.out.println(summary);
                assertTrue(FlowgateCli.field(summary, "dispatch_rx") > 0, summary);
                assertEquals(FlowgateCli.field(summary, "dispatch_tx"), FlowgateCli.field(summary, "tx"), summary);
            }
        }
        finally
        {
            testbed.close();
            Files.deleteIfExists(config);
        }
    }

    @Test
    void shouldAnswerPingToItsOwnAddresses() throws Exception
    {
        final String a = testbed.in(testbed.a, "ping -c 3 -i 0.2 -W 2 " + testbed.routerA);
        assertTrue(a.contains("3 received"), a);
        final String b = testbed.in(testbed.b, "ping -c 3 -i 0.2 -W 2 " + testbed.routerB);
        assertTrue(b.contains("3 received"), b);
    }

    @Test
    void shouldRoutePingsBothWaysThroughTheDispatcher() throws Exception
    {
        final long before = lastCounter("dispatch_rx");
        final String there = testbed.in(testbed.a, "ping -c 5 -i 0.2 -W 2 " + testbed.addressB);
        assertTrue(there.contains("5 received"), there);
        final String back = testbed.in(testbed.b, "ping -c 5 -i 0.2 -W 2 " + testbed.addressA);
        assertTrue(back.contains("5 received"), back);
        Thread.sleep(1200); // two counter lines
        final String line = lastLine();
        // 10 requests and 10 replies crossed, each received once by the dispatcher and once by the worker.
        assertTrue(FlowgateCli.field(line, "dispatch_rx") - before >= 20, line);
        assertTrue(FlowgateCli.field(line, "worker_rx") >= 20, line);
        assertTrue(FlowgateCli.field(line, "dispatch_tx") >= 20, line);
    }

    @Test
    void shouldCarryABoundedIperf3RunBothWays() throws Exception
    {
        for (final String direction : List.of("", "-R"))
        {
            final Process server = new ProcessBuilder("ip", "netns", "exec", testbed.b, "timeout", "30", "iperf3", "-s", "-1", "-p", "5202")
                .redirectErrorStream(true).start();
            Thread.sleep(700);
            final String run = testbed.in(testbed.a, "timeout 20 iperf3 -c " + testbed.addressB + " -p 5202 -t 2 -J " + direction);
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            assertTrue(run.contains("\"sum_received\"") && !run.contains("\"error\""), run);
            final long received = Long.parseLong(run.replaceAll("(?s).*\"sum_received\":\\s*\\{[^}]*?\"bytes\":\\s*(\\d+).*", "$1"));
            assertTrue(received > 1_000_000, "more than 1 MB crossed in 2 s " + direction + ": " + received);
        }
        Thread.sleep(1200);
        final String line = lastLine();
        assertTrue(FlowgateCli.field(line, "dispatch_rx") > 1000, line);
        assertTrue(FlowgateCli.field(line, "dispatch_tx") > 1000, line);
    }

    @Test
    void shouldSendTheSlowPathsIcmpErrorsOutThroughTheDispatcher() throws Exception
    {
        final String out = Testbed.sh("ip netns exec " + testbed.a + " ping -c 1 -t 1 -W 2 " + testbed.addressB + " || true");
        assertTrue(out.contains("From " + testbed.routerA) && out.contains("Time to live exceeded"), out);
    }

    private static String lastLine()
    {
        synchronized (flowgate.stdout)
        {
            for (int i = flowgate.stdout.size() - 1; i >= 0; i--)
            {
                if (flowgate.stdout.get(i).startsWith("route t="))
                {
                    return flowgate.stdout.get(i);
                }
            }
        }
        throw new AssertionError("no counter line:\n" + flowgate);
    }

    private static long lastCounter(final String name)
    {
        return FlowgateCli.field(lastLine(), name);
    }
}
