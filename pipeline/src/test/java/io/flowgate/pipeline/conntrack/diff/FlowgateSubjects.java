package io.flowgate.pipeline.conntrack.diff;

/** Where {@link ConntrackDifferentialTest} gets flowgate's side of the comparison. */
public final class FlowgateSubjects
{
    private FlowgateSubjects()
    {
    }

    /** A fresh flowgate conntrack subject, or null while flowgate has none (the differential test is then skipped). */
    public static ConntrackSubject create()
    {
        return null;
    }
}
