package io.flowgate.pipeline.nat.helper;

import static io.flowgate.pipeline.nat.helper.HelperTestBench.tcp6;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.NatFollow;
import io.flowgate.pipeline.conntrack.diff.PacketBuilder;
import io.flowgate.pipeline.hook.Verdict;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** FTP over IPv6 (no NAT): EPRT |2| and the 229 reply expect the data connection; PORT and |1| do not apply. */
class Ftp6HelperTest
{
    private static final String CLIENT = "2001:db8:1::2";
    private static final String SERVER = "2001:db8:2::5";
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int PSH_ACK = 0x18;

    private final HelperTestBench bench = new HelperTestBench(0, 1);

    @BeforeEach
    void session()
    {
        bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1000, 0, SYN, ""));
        assertEquals(CtInfo.NEW, bench.lastCtinfo);
        assertTrue((CtRecord.status(bench.ct.table().record(bench.lastIndex)) & CtStatus.HELPER) != 0, "IPv6 port 21: helped");
        bench.pass(tcp6(SERVER, CLIENT, 21, 40000, 5000, 1001, SYN | ACK, ""));
        bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1001, 5001, ACK, ""));
        bench.pass(tcp6(SERVER, CLIENT, 21, 40000, 5001, 1001, PSH_ACK, "220 ready\r\n"));
        bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1001, 5012, PSH_ACK, "USER a\r\n"));
    }

    @AfterEach
    void tearDown()
    {
        bench.close();
    }

    private static CtKey key(final String src, final String dst, final int sport, final int dport)
    {
        final ByteBuffer s = ByteBuffer.wrap(PacketBuilder.address6(src));
        final ByteBuffer d = ByteBuffer.wrap(PacketBuilder.address6(dst));
        return new CtKey().ipv6(0, 6, s.getLong(), s.getLong(), d.getLong(), d.getLong(), sport, dport);
    }

    @Test
    void shouldExpectTheActiveDataConnectionOfEprt()
    {
        final String eprt = "EPRT |2|2001:db8:1::2|40001|\r\n";
        final byte[] out = bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, eprt));
        assertEquals(Verdict.ACCEPT, bench.lastVerdict);
        assertEquals(eprt, text(out), "IPv6 is not translated: nothing rewritten");
        assertEquals(1, bench.expect.size());
        final CtKey expected = bench.expect.tuple(0, new CtKey());
        assertEquals(key(SERVER, CLIENT, 0, 40001).dstLo, expected.dstLo);
        bench.pass(tcp6(SERVER, CLIENT, 20, 40001, 7000, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        assertFalse(bench.expect.follow(bench.lastIndex, new NatFollow()));
    }

    @Test
    void shouldExpectThePassiveDataConnectionOfA229Reply()
    {
        bench.pass(tcp6(SERVER, CLIENT, 21, 40000, 5012, 1009, PSH_ACK, "229 Entering Extended Passive Mode (|||51000|)\r\n"));
        assertEquals(1, bench.expect.size());
        bench.pass(tcp6(CLIENT, SERVER, 40001, 51000, 9000, 0, SYN, ""));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
    }

    @Test
    void shouldNotExpectIpv4AnnouncementsOnAnIpv6Connection()
    {
        bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1009, 5012, PSH_ACK, "PORT 10,0,0,2,156,65\r\n"));
        assertEquals(0, bench.expect.size());
        bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1031, 5012, PSH_ACK, "EPRT |1|10.0.0.2|40001|\r\n"));
        assertEquals(Verdict.DROP, bench.lastVerdict, "a malformed EPRT for this family is a partial match: dropped, as Linux");
        bench.pass(tcp6(CLIENT, SERVER, 40000, 21, 1031, 5012, PSH_ACK, "EPRT |2|2001:db8:1::99|40001|\r\n"));
        assertEquals(Verdict.ACCEPT, bench.lastVerdict);
        assertEquals(0, bench.expect.size(), "not the sender's own address");
    }

    @Test
    void shouldParseTheIpv6TextForms()
    {
        final String[] forms = {"2001:db8:1:0:0:0:0:2", "2001:DB8:1::2", "2001:db8:1:0::0:2"};
        int seq = 1009;
        for (String form : forms)
        {
            final String eprt = "EPRT |2|" + form + "|40002|\r\n";
            bench.pass(tcp6(CLIENT, SERVER, 40000, 21, seq, 5012, PSH_ACK, eprt));
            assertEquals(Verdict.ACCEPT, bench.lastVerdict, form);
            assertEquals(1, bench.expect.size(), form);
            seq += eprt.length();
        }
        for (String bad : new String[] {"2001:db8:1:::2", "2001:db8:1::2:", ":2001:db8:1::2", "2001:db8:1::2::3", "2001:db8:1:0:0:0:0:0:2",
            "2001:db8:1:0:0:0:2", "2001:db8:12345::2", "::ffff:1.2.3"})
        {
            bench.pass(tcp6(CLIENT, SERVER, 40000, 21, seq, 5012, PSH_ACK, "EPRT |2|" + bad + "|40003|\r\n"));
            assertEquals(Verdict.DROP, bench.lastVerdict, bad + " is malformed");
        }
    }
}
