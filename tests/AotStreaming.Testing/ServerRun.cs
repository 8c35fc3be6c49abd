using System.Diagnostics;

namespace AotStreaming.Testing;

/// <summary>Runs the server binary to completion (e.g. <c>--check-config</c>) and captures what it printed.</summary>
public sealed record ServerRun(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;

    /// <summary>Non-empty lines of both streams.</summary>
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// Starts the server with <paramref name="environment"/> on top of a minimal valid production environment
    /// (the shared test Redis and PostgreSQL), minus the variables in <paramref name="unset"/>, and waits for it to exit.
    /// </summary>
    public static async Task<ServerRun> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, IEnumerable<string>? unset = null)
    {
        var pg = TestEnvironment.PostgresServer;
        var env = new Dictionary<string, string>
        {
            ["NODE_ENV"] = "production",
            ["DB_HOST"] = pg.Host!,
            ["DB_PORT"] = pg.Port.ToString(),
            ["DB_USER"] = pg.Username!,
            ["DB_NAME"] = "postgres",
            ["DB_PASS"] = pg.Password ?? "",
            ["REDIS_HOST"] = TestEnvironment.RedisHost,
            ["REDIS_PORT"] = TestEnvironment.RedisPort.ToString(),
            ["BIND"] = "127.0.0.1",
            ["AOT_STREAMING_CONFIG"] = "/nonexistent/appsettings.json",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        using var process = StreamingServer.Launch(env, args, unset);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return new ServerRun(process.ExitCode, await stdout, await stderr);
    }
}
