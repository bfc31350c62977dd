package io.flowgate.nativebindings;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads {@code libflowgate_dpdk.so}, the C shim built against the installed DPDK, and resolves symbols
 * through it: the shim's own {@code fg_*} wrappers and, because the shim links every DPDK library as a
 * dependency, DPDK's exported {@code rte_*} functions.
 * <p>
 * The library is found, in order: the system property {@code flowgate.native.lib} (a path); the class
 * path resource {@code /native/linux-x86_64/libflowgate_dpdk.so}, used in place when it is a file and
 * extracted to a temporary folder when it is inside a jar.
 * <p>
 * Thread-safety: initialised once by the class loader; lookups are read-only.
 */
public final class NativeLibrary
{
    public static final String SHIM_FILE = "libflowgate_dpdk.so";
    public static final String SHIM_RESOURCE = "/native/linux-x86_64/" + SHIM_FILE;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Path SHIM_PATH = locate();
    private static final SymbolLookup SHIM = open(SHIM_PATH);

    private NativeLibrary()
    {
    }

    public static Path shimPath()
    {
        return SHIM_PATH;
    }

    /** A symbol of the shim or of DPDK; a missing one is a build/version mismatch, so it fails loudly. */
    public static MemorySegment find(final String name)
    {
        return SHIM.find(name).orElseThrow(
            () -> new UnsatisfiedLinkError("symbol " + name + " not found in " + SHIM_PATH + " or the DPDK libraries it links"));
    }

    public static MethodHandle downcall(final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        return LINKER.downcallHandle(find(name), descriptor, options);
    }

    /** A libc function (through the JVM's default lookup). */
    public static MethodHandle libc(final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        final MemorySegment symbol = LINKER.defaultLookup().find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol " + name + " not found"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /**
     * A shared library installed on the system, by soname (e.g. {@code libbpf.so.1}, {@code libxdp.so.1}),
     * loaded once for the life of the process. A missing library names the Debian package to install.
     */
    public static SymbolLookup system(final String soname, final String debianPackage)
    {
        try
        {
            return SymbolLookup.libraryLookup(soname, Arena.global());
        }
        catch (final IllegalArgumentException ex)
        {
            final UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot load " + soname + " (apt-get install " + debianPackage + "): "
                + ex.getMessage());
            error.initCause(ex);
            throw error;
        }
    }

    /** A function of {@code library}; a missing symbol is a version mismatch, so it fails loudly. */
    public static MethodHandle downcall(final SymbolLookup library, final String name, final FunctionDescriptor descriptor,
                                        final Linker.Option... options)
    {
        final MemorySegment symbol = library.find(name).orElseThrow(() -> new UnsatisfiedLinkError("symbol " + name + " not found"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static Path locate()
    {
        final String override = System.getProperty("flowgate.native.lib");
        if (override != null)
        {
            return Path.of(override);
        }
        final URL url = NativeLibrary.class.getResource(SHIM_RESOURCE);
        if (url == null)
        {
            throw new UnsatisfiedLinkError(SHIM_RESOURCE + " is not on the class path: build native-bindings (it needs libdpdk-dev)");
        }
        try
        {
            if ("file".equals(url.getProtocol()))
            {
                return Path.of(url.toURI());
            }
            final Path dir = Files.createTempDirectory("flowgate-native-");
            final Path target = dir.resolve(SHIM_FILE);
            try (InputStream in = url.openStream())
            {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            target.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return target;
        }
        catch (final IOException | URISyntaxException ex)
        {
            final UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot extract " + SHIM_RESOURCE + ": " + ex.getMessage());
            error.initCause(ex);
            throw error;
        }
    }

    private static SymbolLookup open(final Path path)
    {
        try
        {
            return SymbolLookup.libraryLookup(path, Arena.global());
        }
        catch (final IllegalArgumentException ex)
        {
            final UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                "cannot load " + path + " (are DPDK's runtime libraries installed? apt-get install dpdk): " + ex.getMessage());
            error.initCause(ex);
            throw error;
        }
    }
}
