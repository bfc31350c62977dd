package io.flowgate.pipeline.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Who owns a packet that missed a worker's table (docs/nat.md, "Ownership across workers"), two workers. */
class NatOwnershipTest
{
    private static final int POOL = 0xC6336405;           // 198.51.100.5
    private static final int OUTSIDE_NET = 0xC6336500;    // 198.51.101.0/24, static 1:1 with 10.0.1.0/24
    private static final int INSIDE_NET = 0x0A000100;

    private final HugePageTableMemory memory = new HugePageTableMemory();
    private Conntrack[] tables;
    private NatOwnership[] ownership;

    @BeforeEach
    void setUp()
    {
        tables = new Conntrack[2];
        for (int w = 0; w < 2; w++)
        {
            tables[w] = new Conntrack(w, ConntrackConfig.defaults(1024), memory, null, null, 32, 4, 99 + w);
        }
        final NatConfig config = new NatConfig(List.of(new NatRule(NatRule.Kind.SNAT, null, "outside", -1, 0, 0, 0, 0, -1, -1, -1, -1,
            NatRange.address(POOL), "t:1")), List.of(new NatConfig.StaticMapping(INSIDE_NET, OUTSIDE_NET, 24, "outside", "t:2")),
            NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT).withPortNames(List.of("inside", "outside"));
        final NatPolicy policy = new NatPolicy(config, new int[] {0, 1}, new int[] {0x0A000001, 0xC6336401});
        ownership = new NatOwnership[2];
        for (int w = 0; w < 2; w++)
        {
            final ConntrackTable.Reader[] readers = new ConntrackTable.Reader[2];
            readers[1 - w] = tables[1 - w].table().reader();
            ownership[w] = new NatOwnership(w, 2, policy, readers);
        }
    }

    @AfterEach
    void tearDown()
    {
        for (final Conntrack t : tables)
        {
            t.table().close();
        }
    }

    @Test
    void shouldSendRepliesToATranslatedAddressToThePortsOwner()
    {
        assertEquals(1, ownership[0].owner(udp(0xCB007109, POOL, 53, 40001)));
        assertEquals(0, ownership[1].owner(udp(0xCB007109, POOL, 53, 40000)));
        final CtKey echoReply = new CtKey().ipv4(0, 1, 0xCB007109, POOL, 7, 0);
        assertEquals(1, ownership[0].owner(echoReply), "ICMP: the identifier names the owner");
    }

    @Test
    void shouldSendStaticMappingTrafficToTheInsideHostsWorker()
    {
        final int inside = INSIDE_NET | 9;
        final int expected = NatOwnership.ownerOf(inside, 2);
        for (int w = 0; w < 2; w++)
        {
            assertEquals(expected, ownership[w].owner(udp(0xCB007109, OUTSIDE_NET | 9, 1234, 22)));
        }
    }

    @Test
    void shouldSendANewConnectionToItsSourcesWorker()
    {
        for (int host = 1; host < 50; host++)
        {
            final int src = 0x0A000000 | host;
            for (int w = 0; w < 2; w++)
            {
                assertEquals(NatOwnership.ownerOf(src, 2), ownership[w].owner(udp(src, 0xCB007109, 5000, 53)));
            }
        }
    }

    @Test
    void shouldFindAReplyInTheTableOfTheDestinationsWorker()
    {
        // A connection client -> server that the client's worker owns (e.g. through DNAT); the reply comes
        // from the server, whose own worker differs.
        int client = 0x0A000002;
        int server = 0x0A000063;
        outer:
        for (int c = 2; c < 200; c++)
        {
            for (int s = 2; s < 200; s++)
            {
                if (NatOwnership.ownerOf(0x0A000000 | c, 2) != NatOwnership.ownerOf(0x0A000000 | s, 2))
                {
                    client = 0x0A000000 | c;
                    server = 0x0A000000 | s;
                    break outer;
                }
            }
        }
        final int clientWorker = NatOwnership.ownerOf(client, 2);
        final CtKey original = udp(client, server, 40000, 80);
        final CtKey reply = udp(server, client, 80, 40000);
        final ConntrackTable table = tables[clientWorker].table();
        final int idx = table.allocate(original, reply, 0, 0);
        assertTrue(table.confirm(idx));
        final int other = 1 - clientWorker;
        assertEquals(clientWorker, ownership[other].owner(reply), "found in the client's worker's table");
        assertNotEquals(clientWorker, NatOwnership.ownerOf(server, 2));
        table.delete(idx);
        assertEquals(NatOwnership.ownerOf(server, 2), ownership[other].owner(reply), "gone: a new connection from the server");
    }

    @Test
    void shouldSpreadSourcesOverTheWorkers()
    {
        final int[] counts = new int[4];
        for (int host = 0; host < 4096; host++)
        {
            counts[NatOwnership.ownerOf(0x0A000000 + host, 4)]++;
        }
        for (final int n : counts)
        {
            assertTrue(n > 900 && n < 1150, "4096 consecutive addresses over 4 workers: " + java.util.Arrays.toString(counts));
        }
    }

    private static CtKey udp(final int src, final int dst, final int sport, final int dport)
    {
        return new CtKey().ipv4(0, 17, src, dst, sport, dport);
    }
}
