package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.mgmt.ManagementClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * CUBIC against Linux: the same bulk transfer under the same bottleneck, once from Linux to Linux (cubic
 * forced on the sender's route) and once from flowgate's chargen to Linux, the sender's cwnd and ssthresh
 * (and the segments in flight, {@code unacked}) sampled every ~20 ms ({@code ss -tin} in the Linux sender's namespace, {@code ss -i} over flowgate's
 * management socket). Both curves go to {@code target/cubic-linux.csv} and {@code target/cubic-flowgate.csv}.
 * <p>
 * The bottleneck: a TBF on a bridge between sender and receiver (a namespace of its own, see {@link HostBed}), 10 Mbit/s with a 125 kB queue (this kernel has no netem,
 * so the round trip is the queue's, up to 100 ms). The queue overflows once cwnd passes about 86 segments:
 * a loss, ssthresh = 0.7 Wmax, and CUBIC's regrowth towards Wmax (see {@link #analyse} for the episodes).
 * Asserted: the median ssthresh / Wmax of the first reductions is in [0.6, 0.8] (Linux's too: the profile
 * checks itself); the regrowth is concave in at least half the episodes when Linux's is; flowgate's
 * median time to regain Wmax is within [0.5, 2] times Linux's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CubicCurveIT
{
    private static final String RATE = "10mbit";
    private static final int QUEUE_BYTES = 125_000;
    private static final int SECONDS = 13;
    private static final int SAMPLE_MS = 20;
    private static final Pattern CWND = Pattern.compile("\\bcwnd:(\\d+)");
    private static final Pattern SSTHRESH = Pattern.compile("\\bssthresh:(\\d+)");
    private static final Pattern UNACKED = Pattern.compile("\\bunacked:(\\d+)");
    private static final Path TARGET = Path.of(System.getProperty("flowgate.jar", "target/flowgate.jar")).toAbsolutePath().getParent();

    /** One sample of the sender: milliseconds since the first, cwnd and ssthresh in segments (ssthresh 0 before any). */
    record Sample(long ms, int cwnd, int ssthresh, int unacked)
    {
    }

    /** A reduction fast recovery handled: Wmax before it, ssthresh after, ms to regain 0.95 Wmax (-1 if it did not), concavity. */
    record Cycle(long atMs, int wmax, int ssthresh, long regrowMs, boolean concave)
    {
    }

    private static Analysis linux;
    private static HostBed bed;

    record Analysis(List<Sample> samples, List<Cycle> cycles)
    {
        double medianRegrowMs()
        {
            final List<Long> times = new ArrayList<>();
            for (final Cycle c : cycles)
            {
                if (c.regrowMs() > 0)
                {
                    times.add(c.regrowMs());
                }
            }
            times.sort(null);
            return times.isEmpty() ? -1 : times.get(times.size() / 2);
        }

        double medianBeta()
        {
            final List<Double> betas = new ArrayList<>();
            for (final Cycle c : cycles)
            {
                betas.add((double) c.ssthresh() / c.wmax());
            }
            betas.sort(null);
            return betas.isEmpty() ? 0 : betas.get(betas.size() / 2);
        }

        /** Of the episodes that regained Wmax, the fraction whose regrowth was concave. */
        double concaveFraction()
        {
            int done = 0;
            int concave = 0;
            for (final Cycle c : cycles)
            {
                if (c.regrowMs() > 0)
                {
                    done++;
                    concave += c.concave() ? 1 : 0;
                }
            }
            return done == 0 ? 0 : (double) concave / done;
        }

        @Override
        public String toString()
        {
            return cycles.size() + " episodes " + cycles + ", median regrowth " + medianRegrowMs() + " ms, median ssthresh/Wmax "
                + String.format(Locale.ROOT, "%.2f", medianBeta()) + ", concave " + String.format(Locale.ROOT, "%.2f", concaveFraction());
        }
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
    @Order(1)
    void linuxCubicUnderTheBottleneck() throws Exception
    {
        final String id = "cc" + (ProcessHandle.current().pid() % 100000);
        final String sender = "tit-" + id + "-1";
        final String receiver = "tit-" + id + "-2";
        final String senderEnd = "tit" + id + "1";
        final String receiverEnd = "tit" + id + "2";
        final String wire = "tit-" + id + "-w";
        final String wireToSender = "tit" + id + "ws";
        final String wireToReceiver = "tit" + id + "wr";
        final Path samples = Files.createTempFile("tit-cubic-linux-", ".txt");
        try
        {
            Testbed.sh("ip netns add " + sender + " && ip netns add " + receiver + " && ip netns add " + wire);
            Testbed.sh("ip link add " + senderEnd + " netns " + sender + " type veth peer name " + wireToSender + " netns " + wire);
            Testbed.sh("ip link add " + receiverEnd + " netns " + receiver + " type veth peer name " + wireToReceiver + " netns " + wire);
            Testbed.sh("ip netns exec " + wire + " ip link add br0 type bridge forward_delay 0 stp_state 0");
            for (final String[] end : List.of(new String[] {sender, senderEnd, "10.79.0.1"}, new String[] {receiver, receiverEnd, "10.79.0.2"}))
            {
                Testbed.sh("ip -n " + end[0] + " link set lo up && ip -n " + end[0] + " addr add " + end[2] + "/24 dev " + end[1]
                    + " && ip -n " + end[0] + " link set " + end[1] + " up");
                Testbed.exec("ip netns exec " + end[0] + " ethtool -K " + end[1] + " tx off rx off tso off gso off gro off", 20);
            }
            for (final String end : List.of(wireToSender, wireToReceiver))
            {
                Testbed.sh("ip -n " + wire + " link set " + end + " master br0 && ip -n " + wire + " link set " + end + " up");
                Testbed.exec("ip netns exec " + wire + " ethtool -K " + end + " tx off rx off tso off gso off gro off", 20);
            }
            Testbed.sh("ip -n " + wire + " link set br0 up");
            // A netns other than the first may only default to the allowed congestion controls (cubic is not on
            // this machine: bbr is the default); a route's congctl is the administrator's choice and is not limited.
            Testbed.sh("ip -n " + sender + " route replace 10.79.0.0/24 dev " + senderEnd + " congctl cubic");
            Testbed.sh("ip netns exec " + sender + " sysctl -q -w net.ipv4.tcp_no_metrics_save=1");
            Testbed.sh("ip netns exec " + wire + " tc qdisc add dev " + wireToReceiver + " root tbf rate " + RATE + " burst 3028 limit "
                + QUEUE_BYTES);
            final Process sink = new ProcessBuilder("ip", "netns", "exec", receiver, "timeout", Integer.toString(SECONDS + 10), "nc", "-l",
                "5001").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            Testbed.sh("for i in $(seq 50); do ip netns exec " + receiver + " ss -ltn | grep -q ':5001 ' && exit 0; sleep 0.1; done; exit 1");
            final Process source = new ProcessBuilder("bash", "-c", "ip netns exec " + sender + " timeout " + SECONDS + " nc 10.79.0.2 5001 < /dev/zero")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            Testbed.exec("ip netns exec " + sender + " bash -c 'end=$((SECONDS+" + SECONDS + ")); while [ $SECONDS -lt $end ]; do "
                + "echo \"T $(date +%s%3N) $(ss -tin state established dst 10.79.0.2 dport = :5001 | tr \"\\n\" \" \")\"; sleep 0.0" + (SAMPLE_MS / 2)
                + "; done' > " + samples, SECONDS + 20);
            source.waitFor(SECONDS + 10, TimeUnit.SECONDS);
            sink.destroy();
            sink.waitFor(10, TimeUnit.SECONDS);
            linux = analyse(parse(Files.readAllLines(samples)));
            write(TARGET.resolve("cubic-linux.csv"), linux.samples());
            System.out.println("CUBIC Linux: " + linux);
            assertFalse(linux.cycles().isEmpty(), "the bottleneck made Linux reduce at least once: " + linux);
            assertTrue(linux.medianBeta() >= 0.6 && linux.medianBeta() <= 0.8, "Linux's CUBIC: ssthresh = 0.7 Wmax: " + linux);
            assertTrue(linux.medianRegrowMs() > 0, "Linux regained Wmax after a reduction: " + linux);
        }
        finally
        {
            Testbed.exec("ip netns del " + sender + "; ip netns del " + receiver + "; ip netns del " + wire, 30);
            Files.deleteIfExists(samples);
        }
    }

    @Test
    @Order(2)
    void flowgateCubicUnderTheSameBottleneck() throws Exception
    {
        Assumptions.assumeTrue(linux != null, "the Linux curve to compare with");
        bed = new HostBed("cf");
        bed.start("");
        bed.rateLimit(bed.wire, bed.wireToHost, RATE, QUEUE_BYTES);
        final Process reader = new ProcessBuilder("ip", "netns", "exec", bed.host, "timeout", Integer.toString(SECONDS), "nc", HostBed.FG4, "19")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        final List<String> lines = new ArrayList<>();
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (System.nanoTime() < end && reader.isAlive())
        {
            final long now = System.currentTimeMillis();
            final StringBuilder line = new StringBuilder("T " + now + " ");
            try (ManagementClient client = ManagementClient.connect(bed.socket))
            {
                client.request(List.of("ss", "-i", "-n"), new ManagementClient.Lines()
                {
                    @Override
                    public boolean out(final String text)
                    {
                        if (text.contains(HostBed.HOST4) || text.contains("cwnd:"))
                        {
                            line.append(text).append(' ');
                        }
                        return true;
                    }

                    @Override
                    public void err(final String text)
                    {
                        line.append(text);
                    }
                });
            }
            lines.add(line.toString());
            Thread.sleep(SAMPLE_MS);
        }
        reader.waitFor(SECONDS + 5L, TimeUnit.SECONDS);
        // What the bottleneck did (sent, dropped, backlog) and the last sample as ss printed it: when flowgate never
        // reduces, these tell whether the queue dropped at all.
        System.out.println("CUBIC flowgate bottleneck: " + Testbed.exec("ip netns exec " + bed.wire + " tc -s qdisc show dev " + bed.wireToHost, 10)
            .output().replace('\n', ' ') + "\nCUBIC flowgate last sample: " + (lines.isEmpty() ? "none" : lines.get(lines.size() - 1)));
        final Analysis flowgate = analyse(parse(lines));
        write(TARGET.resolve("cubic-flowgate.csv"), flowgate.samples());
        System.out.println("CUBIC flowgate: " + flowgate + "\nCUBIC Linux:    " + linux);
        assertFalse(flowgate.cycles().isEmpty(), "flowgate reduced at least once: " + flowgate);
        assertTrue(flowgate.medianBeta() >= 0.6 && flowgate.medianBeta() <= 0.8, "ssthresh = 0.7 Wmax: " + flowgate);
        if (linux.concaveFraction() >= 0.5)
        {
            assertTrue(flowgate.concaveFraction() >= 0.5, "the regrowth towards Wmax is concave as Linux's: " + flowgate);
        }
        final double ratio = flowgate.medianRegrowMs() / linux.medianRegrowMs();
        assertTrue(flowgate.medianRegrowMs() > 0 && ratio >= 0.5 && ratio <= 2.0,
            "flowgate regains Wmax in 0.5 to 2 times Linux's time: flowgate " + flowgate + "; Linux " + linux);
    }

    /** Lines "T EPOCH_MS ...cwnd:N ... ssthresh:M..."; lines without a cwnd (no connection yet) are skipped. */
    static List<Sample> parse(final List<String> lines)
    {
        final List<Sample> samples = new ArrayList<>();
        long first = -1;
        for (final String line : lines)
        {
            final String[] words = line.split(" ", 3);
            final Matcher cwnd = CWND.matcher(line);
            if (words.length < 3 || !words[0].equals("T") || !cwnd.find())
            {
                continue;
            }
            final long ms = Long.parseLong(words[1]);
            first = first < 0 ? ms : first;
            final Matcher ssthresh = SSTHRESH.matcher(line);
            final Matcher unacked = UNACKED.matcher(line);
            samples.add(new Sample(ms - first, Integer.parseInt(cwnd.group(1)), ssthresh.find() ? Integer.parseInt(ssthresh.group(1)) : 0,
                unacked.find() ? Integer.parseInt(unacked.group(1)) : 0));
        }
        return samples;
    }

    /**
     * Finds the loss episodes: an episode starts at a sample whose ssthresh differs from the one before or whose
     * cwnd fell below 0.85 of its largest value in the 300 ms before, with ssthresh below Wmax, and lasts until cwnd regains 0.95 Wmax or falls again.
     * Wmax is the largest cwnd in the 500 ms before the episode; its ssthresh is that of its first reduction;
     * it is concave when the first half of the regrowth time gained at least as much as the second.
     */
    static Analysis analyse(final List<Sample> samples)
    {
        final List<Cycle> cycles = new ArrayList<>();
        int i = 1;
        while (i < samples.size())
        {
            final Sample s = samples.get(i);
            int wmax = 0;
            for (int j = i - 1; j >= 0 && samples.get(j).ms() >= s.ms() - 500; j--)
            {
                wmax = Math.max(wmax, samples.get(j).cwnd());
            }
            final boolean reduced = s.ssthresh() != samples.get(i - 1).ssthresh() || s.cwnd() < 0.85 * recentMax(samples, i);
            // HyStart leaving slow start sets ssthresh to cwnd without a reduction: not an episode.
            if (!reduced || s.ssthresh() == 0 || s.ssthresh() > 100_000 || wmax == 0 || s.ssthresh() >= wmax)
            {
                i++;
                continue;
            }
            long regrow = -1;
            boolean concave = false;
            int low = s.cwnd();
            int peak = s.cwnd();
            int j = i + 1;
            for (; j < samples.size(); j++)
            {
                final int cwnd = samples.get(j).cwnd();
                low = Math.min(low, cwnd);
                peak = cwnd > low ? Math.max(peak, cwnd) : low;
                if (peak > low + 5 && cwnd < 0.85 * peak)
                {
                    break; // it grew after the reduction and was reduced again before regaining Wmax
                }
                if (samples.get(j).cwnd() >= 0.95 * wmax)
                {
                    regrow = samples.get(j).ms() - s.ms();
                    final long half = s.ms() + regrow / 2;
                    int mid = s.cwnd();
                    for (int m = i; m <= j; m++)
                    {
                        if (samples.get(m).ms() <= half)
                        {
                            mid = samples.get(m).cwnd();
                        }
                    }
                    concave = mid - low >= samples.get(j).cwnd() - mid;
                    break;
                }
            }
            cycles.add(new Cycle(s.ms(), wmax, s.ssthresh(), regrow, concave));
            i = Math.max(j, i + 1);
        }
        return new Analysis(samples, cycles);
    }

    /** The largest cwnd in the 300 ms before sample {@code i} (PRR lowers cwnd over a few samples, not at once). */
    private static int recentMax(final List<Sample> samples, final int i)
    {
        int max = 0;
        for (int j = i - 1; j >= 0 && samples.get(j).ms() >= samples.get(i).ms() - 300; j--)
        {
            max = Math.max(max, samples.get(j).cwnd());
        }
        return max;
    }

    private static void write(final Path csv, final List<Sample> samples) throws IOException
    {
        final StringBuilder out = new StringBuilder("ms,cwnd,ssthresh,unacked\n");
        for (final Sample s : samples)
        {
            out.append(String.format(Locale.ROOT, "%d,%d,%d,%d%n", s.ms(), s.cwnd(), s.ssthresh(), s.unacked()));
        }
        Files.createDirectories(csv.getParent());
        Files.writeString(csv, out);
    }
}
