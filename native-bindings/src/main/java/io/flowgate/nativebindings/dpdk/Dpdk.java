package io.flowgate.nativebindings.dpdk;

import io.flowgate.nativebindings.DpdkException;
import io.flowgate.nativebindings.gen.dpdk_h;
import io.flowgate.nativebindings.gen.flowgate_shim_h;

/**
 * What every DPDK facade needs: error text, return-code checks and the version check that guards the
 * struct layouts.
 */
public final class Dpdk
{
    /** The DPDK release the Java layouts in {@code gen} were written for and are probed against. */
    public static final int EXPECTED_YEAR = 22;
    public static final int EXPECTED_MONTH = 11;

    private Dpdk()
    {
    }

    public static String strerror(final int errnum)
    {
        return dpdk_h.rte_strerror(errnum).reinterpret(256).getString(0);
    }

    /** {@code rte_errno} of the calling thread (it is thread-local: read it on the thread of the failed call). */
    public static int rteErrno()
    {
        return flowgate_shim_h.fg_rte_errno();
    }

    /** Throws unless {@code ret >= 0}; DPDK's ethdev calls return {@code -errno}. */
    public static int check(final int ret, final String call, final int portId)
    {
        if (ret < 0)
        {
            throw new DpdkException(call + " failed on port " + portId + ": " + strerror(-ret), -ret);
        }
        return ret;
    }

    /** The version string of the DPDK libraries loaded at run time, e.g. {@code DPDK 22.11.11}. */
    public static String runtimeVersion()
    {
        return dpdk_h.rte_version().reinterpret(64).getString(0);
    }

    /** The DPDK version the C shim was compiled against, as {@code year.month.minor}. */
    public static String buildVersion()
    {
        final int v = flowgate_shim_h.fg_build_version();
        return (v >>> 24) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF);
    }

    /**
     * Refuses to go on when the shim was built against, or runs with, a DPDK other than the release the
     * Java struct layouts describe: a moved field would otherwise corrupt memory silently.
     */
    public static void checkVersion()
    {
        final int v = flowgate_shim_h.fg_build_version();
        final int year = v >>> 24;
        final int month = (v >>> 16) & 0xFF;
        if (year != EXPECTED_YEAR || month != EXPECTED_MONTH)
        {
            throw new DpdkException("the DPDK shim was built against DPDK " + buildVersion() + " but flowgate's struct layouts are for "
                + EXPECTED_YEAR + "." + EXPECTED_MONTH + "; rebuild after checking the layouts (StructLayoutProbeTest)");
        }
        final String runtime = runtimeVersion();
        final String expectedPrefix = "DPDK " + EXPECTED_YEAR + "." + EXPECTED_MONTH;
        if (!runtime.equals(expectedPrefix) && !runtime.startsWith(expectedPrefix + "."))
        {
            throw new DpdkException("DPDK at run time is '" + runtime + "' but the shim was built against " + buildVersion());
        }
    }
}
