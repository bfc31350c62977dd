package io.flowgate.app.config;

import io.flowgate.stack.StackConfig;
import java.net.InetAddress;
import java.util.List;

/**
 * The {@code host:} section: the box's own TCP/IP stack (docs/tcp-stack.md) and the services it runs on it.
 *
 * @param stack    the stack's settings: Linux defaults with the {@code tcp:} keys applied
 * @param services what listens on the stack, in file order
 */
public record HostConfig(StackConfig stack, List<Service> services)
{
    public enum Type
    {
        /** HTTP/1.1: {@code GET /}, {@code GET /bytes/N}, {@code GET /health}. */
        HTTP,
        /** Reads and counts (RFC 863). */
        DISCARD,
        /** Sends back what it reads (RFC 862). */
        ECHO,
        /** Writes the pattern until the peer closes (RFC 864's idea, flowgate's pattern). */
        CHARGEN
    }

    /** One service: {@code type} on {@code port}, on {@code address} (null: every address of the box). */
    public record Service(Type type, int port, InetAddress address, int line)
    {
    }
}
