namespace AotStreaming.Benchmarks;

/// <summary>
/// Runtime switches for the load tool's own sockets. The runtime reads them from the environment once, when the
/// first socket is created, so <see cref="ApplyToThisProcess"/> runs first thing in Program.cs; the server and
/// redis-server the tool starts must run with their own defaults, so <see cref="RemoveFrom"/> strips them.
/// </summary>
internal static class SocketEngineSettings
{
    // Run socket continuations on the epoll thread instead of handing each one to the thread pool: a receive
    // loop here parses a frame or two per wake-up, and the hand-off cost more CPU than the work itself.
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    // One epoll thread instead of one per core: with continuations inline it gathers the sockets the server
    // wrote to in one burst into one wake-up, and leaves the second core to the server.
    private const string ThreadCount = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    public static void ApplyToThisProcess()
    {
        // An explicit setting in the environment wins, so the tool's own cost can be compared with other values.
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }

        if (Environment.GetEnvironmentVariable(ThreadCount) is null)
        {
            Environment.SetEnvironmentVariable(ThreadCount, "1");
        }
    }

    public static void RemoveFrom(IDictionary<string, string?> environment)
    {
        environment.Remove(InlineCompletions);
        environment.Remove(ThreadCount);
    }
}
