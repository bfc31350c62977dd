package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.app.nft.NftService;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowgate nft ...} end to end in one JVM: a {@link ManagementServer} on a temporary socket serving {@link NftService}
 * over a test double of the rule engine, and {@code Main.execute} as the client.
 */
@Timeout(30)
class NftCliTest
{
    static final String RULES = """
        table ip filter {
        	chain forward {
        		type filter hook forward priority filter; policy drop;
        		iif "inside" tcp dport 22 counter accept
        	}
        }
        """;

    @TempDir
    Path dir;

    private Path socket;
    private ManagementServer server;
    private FakeEngine engine;

    /** Keeps what it was given; refuses when {@link #refusal} is set; lists a fixed text. */
    static final class FakeEngine implements NftService.Engine
    {
        Ruleset running = Ruleset.empty();
        RulesetException refusal;
        final List<Ruleset> loads = new ArrayList<>();

        @Override
        public synchronized void load(final Ruleset ruleset) throws RulesetException
        {
            loads.add(ruleset);
            if (refusal != null)
            {
                throw refusal;
            }
            running = ruleset;
        }

        @Override
        public String list()
        {
            return "table ip filter {\n\tchain forward {\n\t\tcounter packets 3 bytes 180 accept\n\t}\n}\n";
        }
    }

    @BeforeEach
    void start() throws Exception
    {
        socket = dir.resolve("run/flowgate.sock");
        engine = new FakeEngine();
        server = new ManagementServer(socket).register(NftService.NAME, new NftService(engine, List.of("inside", "outside"), false)).start();
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    private record Result(int exit, String out, String err)
    {
    }

    private Result nft(final String... args)
    {
        final List<String> all = new ArrayList<>(List.of("nft"));
        all.addAll(List.of(args));
        all.add("--socket");
        all.add(socket.toString());
        return run(all.toArray(String[]::new));
    }

    static synchronized Result run(final String... args)
    {
        final PrintStream oldOut = System.out;
        final PrintStream oldErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        try
        {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            final int exit = Main.execute(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private Path write(final String name, final String text) throws Exception
    {
        final Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void shouldListTheRunningRulesetWithItsCounters()
    {
        final Result r = nft("list", "ruleset");
        assertEquals(0, r.exit, r.err);
        assertEquals(engine.list(), r.out);
    }

    @Test
    void shouldHandTheParsedFileToTheEngine() throws Exception
    {
        final Path file = write("rules with blank.nft", RULES);
        final Result r = nft("-f", file.toString());
        assertEquals(0, r.exit, r.err);
        assertEquals("", r.out + r.err);
        assertEquals(1, engine.running.tables().size());
        assertEquals("forward", engine.running.tables().get(0).chains().get(0).name());
        assertEquals(file.toString(), engine.running.tables().get(0).origin().file(), "errors would name the file as given");
    }

    @Test
    void shouldRefuseABrokenFileWithItsLineAndColumnAndKeepTheRunningRuleset() throws Exception
    {
        final Ruleset before = engine.running;
        final Path file = write("broken.nft", RULES.replace("tcp dport 22", "tcp dport twentytwo"));
        final Result r = nft("-f", file.toString());
        assertEquals(1, r.exit);
        assertTrue(r.err.startsWith("flowgate: error: " + file + ":4:"), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(engine.loads.isEmpty(), "nothing reached the engine");
        assertSame(before, engine.running);
    }

    @Test
    void shouldRefuseAnInterfaceThatIsNotAPort() throws Exception
    {
        final Path file = write("port.nft", RULES.replace("iif \"inside\"", "iif \"eth7\""));
        final Result r = nft("-f", file.toString());
        assertEquals(1, r.exit);
        assertTrue(r.err.startsWith("flowgate: error: " + file + ":4:3: iif \"eth7\": no such port"), r.err);
        assertTrue(engine.loads.isEmpty());
    }

    @Test
    void shouldReportTheEnginesRefusal() throws Exception
    {
        engine.refusal = new RulesetException(new Origin("x.nft", 4, 3), "too many rules");
        final Result r = nft("-f", write("x.nft", RULES).toString());
        assertEquals(1, r.exit);
        assertEquals("flowgate: error: x.nft:4:3: too many rules\n", r.err);
        assertEquals(Ruleset.empty(), engine.running);
    }

    @Test
    void shouldCheckWithoutARouter() throws Exception
    {
        server.close();
        final Path file = write("ok.nft", RULES);
        final Result ok = run("nft", "-c", "-f", file.toString());
        assertEquals(0, ok.exit, ok.err);
        assertEquals("", ok.out + ok.err);

        final Result bad = run("nft", "-c", "-f", write("bad.nft", RULES.replace("accept", "acept")).toString());
        assertEquals(1, bad.exit);
        assertTrue(bad.err.startsWith("flowgate: error: " + dir.resolve("bad.nft") + ":4:"), bad.err);
    }

    @Test
    void shouldCheckPortNamesAgainstTheConfiguration() throws Exception
    {
        final Path config = write("router.yaml", """
            workers: [0]
            ports:
              - {name: lan, device: net_null0}
            """);
        final Path file = write("ok.nft", RULES);
        final Result r = run("nft", "-c", "-f", file.toString(), "--config", config.toString());
        assertEquals(1, r.exit);
        assertTrue(r.err.startsWith("flowgate: error: " + file + ":4:3: iif \"inside\": no such port (ports: lan)"), r.err);
        assertEquals(0, run("nft", "-c", "-f", write("lan.nft", RULES.replace("inside", "lan")).toString(), "--config",
            config.toString()).exit);
    }

    @Test
    void shouldCheckTheRulesFileWithTheConfiguration() throws Exception
    {
        write("router.nft", RULES.replace("inside", "lan"));
        final Path config = write("router.yaml", """
            workers: [0]
            ports:
              - {name: lan, device: net_null0}
            rules: router.nft
            """);
        final Result ok = run("config", "check", config.toString());
        assertEquals(0, ok.exit, ok.err);
        assertTrue(ok.out.contains("rules " + dir.resolve("router.nft").toAbsolutePath() + ": 1 table(s), 1 chain(s), 1 rule(s)\n"), ok.out);

        write("router.nft", RULES);
        final Result bad = run("config", "check", config.toString());
        assertEquals(Main.EXIT_FAILURE, bad.exit, "a bad ruleset exits 1, as nft -f");
        assertEquals("flowgate: error: " + dir.resolve("router.nft").toAbsolutePath() + ":4:3: iif \"inside\": no such port (ports: lan)\n",
            bad.err);
    }

    @Test
    void shouldAcceptTheDifferentialTestsRulesets() throws Exception
    {
        for (final String verdict : List.of("drop", "reject with tcp reset"))
        {
            final Result r = run("nft", "-c", "-f", write("twin.nft", RulesTwinIT.ruleset("lan0", "wan0", verdict)).toString());
            assertEquals(0, r.exit, r.err);
        }
        final Path broken = write("broken.nft", RulesTwinIT.ruleset("lan0", "wan0", "drop").replace("tcp dport 82", "tcp dport eightytwo"));
        final Result r = run("nft", "-c", "-f", broken.toString());
        assertEquals(1, r.exit);
        assertTrue(r.err.startsWith("flowgate: error: " + broken + ":16:"), r.err);
    }

    @Test
    void shouldCarryALargeRulesetAsTheRequestsBody() throws Exception
    {
        final StringBuilder text = new StringBuilder("table ip filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n");
        for (int i = 0; i < 10_000; i++)
        {
            text.append("\t\tip saddr 10.").append(i >> 8).append('.').append(i & 0xFF).append(".0/24 tcp dport ").append(1 + i % 60000)
                .append(" counter accept\n");
        }
        final Path file = write("large.nft", text.append("\t}\n}\n").toString());
        assertTrue(Files.size(file) > ManagementServer.MAX_REQUEST_BYTES * 100);
        final Result r = nft("-f", file.toString());
        assertEquals(0, r.exit, r.err);
        assertEquals(10_000, engine.running.tables().get(0).chains().get(0).rules().size());
    }

    @Test
    void shouldNotStartARouterWhoseRulesFileIsRefused() throws Exception
    {
        write("router.nft", RULES.replace("accept", "acept"));
        final Path config = write("router.yaml", """
            workers: [0]
            ports:
              - {name: inside, device: net_null0}
            rules: router.nft
            """);
        final Result r = run("run", "--config", config.toString());
        assertEquals(Main.EXIT_FAILURE, r.exit);
        assertTrue(r.err.startsWith("flowgate: error: " + dir.resolve("router.nft").toAbsolutePath() + ":4:"), r.err);
        assertEquals("", r.out);
    }

    @Test
    void shouldSayWhenNoFlowgateRuns() throws Exception
    {
        server.close();
        final Result r = nft("list", "ruleset");
        assertEquals(1, r.exit);
        assertTrue(r.err.startsWith("flowgate: error: cannot reach flowgate on " + socket), r.err);
    }

    @Test
    void shouldRefuseUsageErrors()
    {
        assertEquals(Main.EXIT_USAGE, nft("list", "tables").exit);
        assertEquals(Main.EXIT_USAGE, nft().exit);
        assertEquals(Main.EXIT_USAGE, run("nft", "-c", "list", "ruleset").exit);
    }
}
