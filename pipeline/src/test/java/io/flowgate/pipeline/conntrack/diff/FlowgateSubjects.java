package io.flowgate.pipeline.conntrack.diff;

/** Where {@link ConntrackDifferentialTest} gets flowgate's side of the comparison. */
public final class FlowgateSubjects
{
    private FlowgateSubjects()
    {
    }

    /** Set to {@code linux} to compare Linux with a second Linux instance: a check of the harness itself (must agree). */
    public static final String SELF_CHECK_PROPERTY = "conntrack.diff.subject";

    /** A fresh flowgate conntrack subject: the real tracker and parser, driven as the router's hooks drive them. */
    public static ConntrackSubject create() throws Exception
    {
        if ("linux".equals(System.getProperty(SELF_CHECK_PROPERTY)))
        {
            return LinuxConntrackSubject.start("linux-again");
        }
        return new FlowgateConntrackSubject();
    }
}
