package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;

/**
 * Linux's {@code nf_confirm} at POSTROUTING and INPUT (priority CONNTRACK_CONFIRM, last): a packet that
 * made it through every hook confirms its connection, which then enters the table under both tuples. A
 * packet dropped earlier never gets here, so its new entry is freed ({@link Conntrack#endBurst}) and leaves
 * no trace. A clash at confirmation drops a TCP packet ({@code insert_failed}) and moves a UDP/ICMP/generic
 * packet onto the entry already there.
 * <p>
 * Thread-safety: the owning worker only.
 */
public final class ConfirmHook implements HookHandler
{
    private final Conntrack conntrack;
    public ConfirmHook(final Conntrack conntrack)
    {
        this.conntrack = conntrack;
    }

    @Override
    public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
    {
        final Conntrack ct = conntrack;
        final int[] entry = burst.ct;
        final int nowMs = ct.clockMs(); // the burst's PREROUTING time: a new entry's timeout counts from there, as Linux's from confirmation
        for (int k = 0; k < count; k++)
        {
            final int i = packets[k];
            final int index = entry[i];
            int verdict = Verdict.ACCEPT;
            if (index >= 0)
            {
                final int confirmed = ct.confirm(index, nowMs);
                if (confirmed == ConntrackTable.NONE)
                {
                    verdict = Verdict.DROP;
                }
                entry[i] = confirmed;
            }
            verdicts[i] = verdict;
        }
    }
}
