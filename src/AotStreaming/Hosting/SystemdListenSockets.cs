using System.Net.Sockets;

namespace AotStreaming.Hosting;

/// <summary>
/// The listening sockets systemd passed in (socket activation, <c>aot-streaming.socket</c>). systemd keeps its own copy
/// of each socket open while the service restarts, so connections arriving meanwhile wait in the kernel's backlog
/// instead of being refused, and the new process accepts them. Protocol (sd_listen_fds(3)): the sockets are fds
/// 3 … 3+LISTEN_FDS-1, meant for us only when LISTEN_PID is our PID (a child would otherwise take its parent's fds).
/// When present they replace BIND/PORT/SOCKET: the socket unit's <c>ListenStream=</c> says where we listen.
/// </summary>
public sealed class SystemdListenSockets
{
    /// <summary>sd_listen_fds(3): the first passed descriptor is SD_LISTEN_FDS_START = 3.</summary>
    private const int FirstFd = 3;

    private SystemdListenSockets(IReadOnlyList<int> fds, string description)
    {
        Fds = fds;
        Description = description;
    }

    /// <summary>The passed file descriptors, in the socket unit's <c>ListenStream=</c> order.</summary>
    public IReadOnlyList<int> Fds { get; }

    /// <summary>Where they listen, for the "now listening" line, e.g. <c>127.0.0.1:4000 (systemd socket)</c>.</summary>
    public string Description { get; }

    /// <summary>Reads LISTEN_PID/LISTEN_FDS of this process; null when systemd passed no sockets to it.</summary>
    public static SystemdListenSockets? FromEnvironment()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("LISTEN_PID"), out var pid) || pid != Environment.ProcessId
            || !int.TryParse(Environment.GetEnvironmentVariable("LISTEN_FDS"), out var count) || count <= 0)
        {
            return null;
        }

        var fds = new int[count];
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            fds[i] = FirstFd + i;
            names[i] = LocalAddress(fds[i]);
        }

        return new SystemdListenSockets(fds, $"{string.Join(", ", names)} (systemd socket)");
    }

    private static string LocalAddress(int fd)
    {
        try
        {
            // ownsHandle: false: only a look at the address; Kestrel takes the descriptor over afterwards.
            using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
            return socket.LocalEndPoint?.ToString() ?? $"fd {fd}";
        }
        catch (SocketException)
        {
            return $"fd {fd}";
        }
    }
}
