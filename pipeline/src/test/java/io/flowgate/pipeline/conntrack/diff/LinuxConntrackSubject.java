package io.flowgate.pipeline.conntrack.diff;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Linux's nf_conntrack as a {@link ConntrackSubject}: a router namespace {@code ctd<pid><n>R} forwarding between
 * two veths whose outer ends sit in {@code ctd<pid><n>H}, where a long-lived python sender injects each corpus
 * packet as an Ethernet frame to the router and captures the copy the router forwards. The router's nft table
 * {@code inet ctd} counts each packet by {@code ct state} x {@code ct direction} at FORWARD and writes the class
 * into the forwarded copy's DSCP, so one round trip tells the classification; when no copy comes out, the
 * counters tell it ({@code nft -j}). Entries come from {@code conntrack -L -o extended}, statistics from
 * {@code conntrack -S}, both in the router namespace. Needs root, {@code ip}, {@code nft}, {@code conntrack},
 * {@code /usr/bin/python3}; {@link #available()} says whether they are there.
 */
public final class LinuxConntrackSubject implements ConntrackSubject
{
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final String[] STAT_NAMES = {
        "found", "invalid", "insert", "insert_failed", "drop", "early_drop", "error", "search_restart", "clash_resolve", "chaintoolong"};
    /** DSCP code written by the ruleset (netns.sh) -> outcome; index = DSCP. */
    private static final Outcome[] BY_DSCP = {
        null,
        Outcome.of(Outcome.State.NEW, Outcome.Direction.ORIGINAL),
        Outcome.of(Outcome.State.NEW, Outcome.Direction.REPLY),
        Outcome.of(Outcome.State.ESTABLISHED, Outcome.Direction.ORIGINAL),
        Outcome.of(Outcome.State.ESTABLISHED, Outcome.Direction.REPLY),
        Outcome.of(Outcome.State.RELATED, Outcome.Direction.ORIGINAL),
        Outcome.of(Outcome.State.RELATED, Outcome.Direction.REPLY),
        Outcome.INVALID,
        Outcome.UNTRACKED};
    private static final Pattern NFT_RULE_COUNTER = Pattern.compile("\"counter\":\\s*\\{\"packets\":\\s*(\\d+)");

    private final String name;
    private final String prefix;
    private final Path workDir;
    private final Process sender;
    private final Writer toSender;
    private final BufferedReader fromSender;
    private final long[] expectedCounters = new long[BY_DSCP.length];
    private final Map<String, Long> statsBaseline = new LinkedHashMap<>();
    private boolean closed;

    private LinuxConntrackSubject(final String name, final String prefix, final Path workDir, final Process sender)
    {
        this.name = name;
        this.prefix = prefix;
        this.workDir = workDir;
        this.sender = sender;
        this.toSender = new OutputStreamWriter(sender.getOutputStream(), StandardCharsets.US_ASCII);
        this.fromSender = new BufferedReader(new InputStreamReader(sender.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** Whether this machine can run the Linux side: root and the tools. */
    public static boolean available()
    {
        try
        {
            return "0".equals(run(List.of("id", "-u")).trim()) && Files.isExecutable(Path.of("/usr/bin/python3")) &&
                run(List.of("sh", "-c", "for t in ip nft conntrack; do command -v $t; done | wc -l")).trim().equals("3");
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    /** Builds the namespaces and starts the sender; {@link #close()} removes everything. */
    public static LinuxConntrackSubject start() throws IOException
    {
        return start("linux");
    }

    /** As {@link #start()}, named {@code name} in reports (a second Linux instance checks the harness against itself). */
    public static LinuxConntrackSubject start(final String name) throws IOException
    {
        final String prefix = "ctd" + ProcessHandle.current().pid() % 100000 + "n" + INSTANCES.incrementAndGet();
        final Path workDir = Files.createTempDirectory("ctd-");
        final Path netns = resource(workDir, "netns.sh");
        final Path senderPy = resource(workDir, "sender.py");
        resource(workDir, "ctdump.py");
        Process sender = null;
        try
        {
            run(List.of("bash", netns.toString(), "down", prefix));
            run(List.of("bash", netns.toString(), "up", prefix));
            sender = new ProcessBuilder("ip", "netns", "exec", prefix + "H", "/usr/bin/python3", senderPy.toString(), prefix + "ha",
                prefix + "hb", "02:77:01:00:00:01", "02:77:02:00:00:01", "02:77:01:00:00:02", "02:77:02:00:00:02")
                .redirectError(workDir.resolve("sender.err").toFile()).start();
            final LinuxConntrackSubject subject = new LinuxConntrackSubject(name, prefix, workDir, sender);
            final String ready = subject.fromSender.readLine();
            if (!"ready".equals(ready))
            {
                throw new IOException("sender did not start: " + ready + " " + Files.readString(workDir.resolve("sender.err")));
            }
            return subject;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (sender != null)
            {
                sender.destroyForcibly();
            }
            run(List.of("bash", netns.toString(), "down", prefix));
            throw ex;
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    public String routerNamespace()
    {
        return prefix + "R";
    }

    @Override
    public void reset() throws IOException
    {
        inRouter("conntrack", "-F");
        final List<CtRow> left = entries();
        if (!left.isEmpty())
        {
            throw new IllegalStateException("conntrack table of " + routerNamespace() + " not empty after a flush: " + left);
        }
        statsBaseline.clear();
        statsBaseline.putAll(absoluteStats());
        final long[] counters = nftCounters();
        System.arraycopy(counters, 0, expectedCounters, 0, counters.length);
    }

    @Override
    public Outcome send(final CorpusPacket packet) throws IOException, InterruptedException
    {
        if (packet.pauseMillis() > 0)
        {
            Thread.sleep(packet.pauseMillis());
        }
        toSender.write((packet.side() == CorpusPacket.Side.CLIENT ? "A " : "B ") + packet.hex() + "\n");
        toSender.flush();
        final String answer = fromSender.readLine();
        if (answer == null || !answer.startsWith("ok "))
        {
            throw new IOException("sender failed: " + answer + " " + Files.readString(workDir.resolve("sender.err")));
        }
        final String code = answer.substring(3).trim();
        if (!code.equals("-"))
        {
            final int dscp = Integer.parseInt(code);
            if (dscp > 0 && dscp < BY_DSCP.length)
            {
                expectedCounters[dscp]++;
                return BY_DSCP[dscp];
            }
        }
        // No forwarded copy (or an unmarked one): the rule counters say which class moved.
        final long[] counters = nftCounters();
        Outcome outcome = Outcome.NOT_SEEN;
        for (int dscp = 1; dscp < counters.length; dscp++)
        {
            if (counters[dscp] != expectedCounters[dscp])
            {
                outcome = BY_DSCP[dscp];
            }
        }
        System.arraycopy(counters, 0, expectedCounters, 0, counters.length);
        return outcome;
    }

    /**
     * Entries as {@code conntrack -L -o extended} prints them, with the whole status word (which it prints only as
     * UNREPLIED and ASSURED) added from a ctnetlink dump ({@code ctdump.py}).
     */
    @Override
    public List<CtRow> entries() throws IOException
    {
        final List<CtRow> rows = list();
        if (rows.isEmpty())
        {
            return rows;
        }
        final Map<String, Integer> statusByKey = new HashMap<>();
        for (final String line : inRouter("/usr/bin/python3", workDir.resolve("ctdump.py").toString()).split("\n"))
        {
            final String[] f = line.trim().split(" ");
            if (f.length != 11)
            {
                continue;
            }
            final int protocol = Integer.parseInt(f[1]);
            final CtRow.Tuple tuple = CtRow.tupleOf(protocol, f[2], f[3], Integer.parseInt(f[4]), Integer.parseInt(f[5]),
                Integer.parseInt(f[6]), Integer.parseInt(f[7]), Integer.parseInt(f[8]));
            statusByKey.put(f[0] + " " + protocol + " zone=" + f[9] + " " + tuple, Integer.parseInt(f[10]));
        }
        final List<CtRow> out = new ArrayList<>(rows.size());
        for (final CtRow row : rows)
        {
            final Integer status = statusByKey.get(row.key());
            out.add(status == null ? row : row.withStatus(status));
        }
        return out;
    }

    private List<CtRow> list(final String... filter) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("conntrack", "-L", "-o", "extended"));
        command.addAll(List.of(filter));
        final List<CtRow> rows = new ArrayList<>();
        for (final String line : inRouter(command.toArray(String[]::new)).split("\n"))
        {
            if (line.startsWith("ipv4") || line.startsWith("ipv6"))
            {
                rows.add(CtRow.parse(line));
            }
        }
        return rows;
    }

    @Override
    public Map<String, Long> stats() throws IOException
    {
        final Map<String, Long> now = absoluteStats();
        final Map<String, Long> delta = new LinkedHashMap<>();
        for (final Map.Entry<String, Long> e : now.entrySet())
        {
            delta.put(e.getKey(), e.getValue() - statsBaseline.getOrDefault(e.getKey(), 0L));
        }
        return delta;
    }

    /** {@code conntrack -S} summed over CPUs. */
    private Map<String, Long> absoluteStats() throws IOException
    {
        final Map<String, Long> sums = new LinkedHashMap<>();
        for (final String name : STAT_NAMES)
        {
            sums.put(name, 0L);
        }
        for (final String line : inRouter("conntrack", "-S").split("\n"))
        {
            for (final String token : line.trim().split("\\s+"))
            {
                final int eq = token.indexOf('=');
                if (eq > 0 && !token.startsWith("cpu="))
                {
                    sums.merge(token.substring(0, eq), Long.parseLong(token.substring(eq + 1)), Long::sum);
                }
            }
        }
        return sums;
    }

    /** Packets counted by each rule of the forward chain, indexed by the DSCP the rule writes. */
    private long[] nftCounters() throws IOException
    {
        final long[] counters = new long[BY_DSCP.length];
        final String json = inRouter("nft", "-j", "list", "chain", "inet", "ctd", "forward");
        // The rules in order write DSCP 1, 2, ... 8 for IPv4, then 1 ... 8 again for IPv6 (netns.sh); nft prints the
        // values by name, so go by position and add up both families.
        final Matcher m = NFT_RULE_COUNTER.matcher(json);
        for (int rule = 0; rule < 2 * (counters.length - 1) && m.find(); rule++)
        {
            counters[1 + rule % (counters.length - 1)] += Long.parseLong(m.group(1));
        }
        return counters;
    }

    private String inRouter(final String... command) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", routerNamespace()));
        full.addAll(List.of(command));
        return run(full);
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            toSender.write("q\n");
            toSender.flush();
        }
        catch (final IOException ignored)
        {
            // the sender already went away
        }
        if (!sender.waitFor(2, TimeUnit.SECONDS))
        {
            sender.destroyForcibly();
            sender.waitFor(2, TimeUnit.SECONDS);
        }
        run(List.of("bash", workDir.resolve("netns.sh").toString(), "down", prefix));
        try (var files = Files.list(workDir))
        {
            for (final Path file : files.toList())
            {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(workDir);
    }

    private static Path resource(final Path dir, final String name) throws IOException
    {
        try (InputStream in = LinuxConntrackSubject.class.getResourceAsStream("/conntrack-diff/" + name))
        {
            if (in == null)
            {
                throw new IOException("missing test resource conntrack-diff/" + name);
            }
            final Path file = dir.resolve(name);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }

    /** Runs a command to completion; its standard output, or an exception with both outputs when it fails. */
    static String run(final List<String> command) throws IOException
    {
        final Process process = new ProcessBuilder(command).start();
        try
        {
            process.getOutputStream().close();
            final byte[] err;
            final byte[] out;
            final Thread errReader;
            final byte[][] errHolder = new byte[1][];
            errReader = Thread.ofPlatform().start(() ->
            {
                try
                {
                    errHolder[0] = process.getErrorStream().readAllBytes();
                }
                catch (final IOException ex)
                {
                    errHolder[0] = new byte[0];
                }
            });
            out = process.getInputStream().readAllBytes();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException("timed out: " + command);
            }
            errReader.join();
            err = errHolder[0];
            if (process.exitValue() != 0)
            {
                throw new IOException(command + " exited " + process.exitValue() + ": " + new String(err, StandardCharsets.UTF_8) +
                    new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted: " + command, ex);
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause();
        }
    }
}
