package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A SYN flood with spoofed sources (hping3 on the Linux host) at flowgate's http listener, whose SYN
 * queue is kept small: flowgate answers with SYN cookies (net.ipv4.tcp_syncookies=1 behaviour), and a real
 * curl still connects meanwhile, its handshake completing on a cookie.
 */
class HostStackSynFloodIT
{
    private static HostBed bed;

    @BeforeAll
    static void start() throws Exception
    {
        bed = new HostBed("f");
        bed.start("syncookies: 1, syn-backlog: 16");
    }

    @AfterAll
    static void stop()
    {
        if (bed != null)
        {
            bed.close();
        }
    }

    @Test
    void shouldAnswerAFloodWithSynCookiesAndStillServe() throws Exception
    {
        // About 5,000 SYNs/s (for at most 20 s, stopped after the curls), each from a random source: none completes, the SYN
        // queue overflows.
        final Process flood = new ProcessBuilder("ip", "netns", "exec", bed.host, "timeout", "20", "hping3", "-q", "-S", "-p", "80",
            "-i", "u200", "--rand-source", HostBed.FG4).redirectErrorStream(true).redirectOutput(bed.dir.resolve("hping3.log").toFile())
            .start();
        try
        {
            // The curls must meet the flood: wait until flowgate answers with cookies (hping3 can start late on a loaded machine).
            final long floodDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (bed.tcpStat("SyncookiesSent") <= 0)
            {
                assertTrue(System.nanoTime() < floodDeadline && flood.isAlive(), "no SYN cookie sent: the flood did not start");
                Thread.sleep(100);
            }
            int served = 0;
            final StringBuilder failures = new StringBuilder();
            for (int i = 0; i < 5; i++)
            {
                final Testbed.Result r = Testbed.exec("ip netns exec " + bed.host + " curl -sS --max-time 8 http://" + HostBed.FG4
                    + "/bytes/100000 -o /dev/null -w '%{http_code} %{size_download}'", 15);
                if (r.exit() == 0 && r.output().trim().equals("200 100000"))
                {
                    served++;
                }
                else
                {
                    failures.append("\ncurl exit ").append(r.exit()).append(": ").append(r.output().strip());
                }
            }
            // A SYN can be lost three times in a row to the full slow-path ring (the flood fills it): 4 of 5 at least.
            assertTrue(served >= 4, "the curls during the flood were served: " + served + " of 5" + failures);
        }
        finally
        {
            flood.destroy();
            flood.waitFor(10, TimeUnit.SECONDS);
        }
        final long sent = bed.tcpStat("SyncookiesSent");
        final long recv = bed.tcpStat("SyncookiesRecv");
        assertTrue(sent > 0, "SyncookiesSent " + sent);
        assertTrue(recv > 0, "SyncookiesRecv " + recv + ": a curl's handshake completed on a cookie");
    }
}
