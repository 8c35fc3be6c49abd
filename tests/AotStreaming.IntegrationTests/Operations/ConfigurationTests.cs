using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>Reference §8: Mastodon's variables, <c>--check-config</c> and <c>--env-file</c>.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task CheckConfig_NonNumericDbPort_ExitsOneWithOneLineNamingIt_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config"], new Dictionary<string, string> { ["DB_PORT"] = "abc" });

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Lines);
        Assert.Contains("DB_PORT", line, StringComparison.Ordinal);
        Assert.Contains("abc", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_ValidConfiguration_ExitsZero_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config"], new Dictionary<string, string> { ["PORT"] = "4123" });

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Configuration OK: listening on 127.0.0.1:4123", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_UnknownLogLevel_ExitsNonZeroNamingLogLevel_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config"], new Dictionary<string, string> { ["LOG_LEVEL"] = "loud" });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("LOG_LEVEL", run.Output, StringComparison.Ordinal);
        Assert.Contains("loud", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_BadOption_ExitsOneNamingIt_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config", "--Streaming:Limits:MaxMessageBytes=1"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("MaxMessageBytes", Assert.Single(run.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_TwoBadVariables_ReportsEachOnItsOwnLine_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config"], new Dictionary<string, string> { ["REDIS_URL"] = "notaurl", ["DB_PORT"] = "abc" });

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(2, run.Lines.Length);
        Assert.Contains(run.Lines, l => l.Contains("REDIS_URL", StringComparison.Ordinal) && l.Contains("notaurl", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.Contains("DB_PORT", StringComparison.Ordinal) && l.Contains("abc", StringComparison.Ordinal));
    }

    /// <summary>Environment-style keys (<c>__</c>), as an admin sets them in /etc/default/aot-streaming.</summary>
    private static readonly Dictionary<string, string> s_badOptions = new()
    {
        ["Streaming__Delivery__OutboxCapacity"] = "abc",
        ["Streaming__Postgres__CommandTimeoutSeconds"] = "-3",
    };

    [Fact]
    public async Task CheckConfig_BadOptionValues_OneLineEachNamingKeyAndValue_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config"], s_badOptions);

        AssertBadOptionsReported(run);
    }

    [Fact]
    public async Task Startup_BadOptionValues_ExitsOneWithOneLineEachNotACrash_Section8()
    {
        var run = await ServerRun.RunAsync([], new Dictionary<string, string>(s_badOptions) { ["PORT"] = FreePort().ToString() });

        AssertBadOptionsReported(run);
    }

    private static void AssertBadOptionsReported(ServerRun run)
    {
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(2, run.Lines.Length);
        Assert.Contains(run.Lines, l => l.Contains("Streaming:Delivery:OutboxCapacity", StringComparison.Ordinal) && l.Contains("abc", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.Contains("Streaming:Postgres:CommandTimeoutSeconds", StringComparison.Ordinal) && l.Contains("-3", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_RedisAndPostgresNotAnswering_ConnectsToNeitherAndFinishesQuickly_Section8()
    {
        // Listeners that never answer: a connection attempt would show in their accept queues (and wait for a timeout).
        using var redis = SilentListener();
        using var postgres = SilentListener();
        var clock = Stopwatch.StartNew();

        var run = await ServerRun.RunAsync(["--check-config"], new Dictionary<string, string>
        {
            ["REDIS_PORT"] = Port(redis).ToString(),
            ["DB_PORT"] = Port(postgres).ToString(),
        });

        Assert.Equal(0, run.ExitCode);
        Assert.False(redis.Pending(), "--check-config connected to Redis");
        Assert.False(postgres.Pending(), "--check-config connected to PostgreSQL");
        // Generous for a loaded CI machine starting the JIT build; the clients' connect timeouts are 5 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"--check-config took {clock.Elapsed}");
    }

    [Fact]
    public async Task CheckConnections_LiveRedisAndPostgres_ReportsBothOkAndExitsZero_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-connections"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Lines, l => l.StartsWith($"Redis {TestEnvironment.RedisHost}:{TestEnvironment.RedisPort}", StringComparison.Ordinal) && l.Contains(": OK", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith("PostgreSQL ", StringComparison.Ordinal) && l.Contains(": OK", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CheckConnections_NothingOnRedisPort_ReportsRedisFailureAndExitsOne_Section8()
    {
        var deadPort = FreePort();
        var clock = Stopwatch.StartNew();

        var run = await ServerRun.RunAsync(["--check-connections"], new Dictionary<string, string> { ["REDIS_PORT"] = deadPort.ToString() });

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.Lines, l => l.StartsWith($"Redis {TestEnvironment.RedisHost}:{deadPort}", StringComparison.Ordinal) && l.Contains("FAILED", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith("PostgreSQL ", StringComparison.Ordinal) && l.Contains(": OK", StringComparison.Ordinal));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"--check-connections took {clock.Elapsed}");
    }

    private static TcpListener SilentListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>A loopback port nothing listens on (taken from the kernel, then released).</summary>
    private static int FreePort()
    {
        using var listener = SilentListener();
        return Port(listener);
    }

    [Fact]
    public async Task EnvFile_SetsUnsetVariablesButNeverOverridesSetOnes_Section8()
    {
        var file = Path.Combine(Path.GetTempPath(), $"aot-streaming-{Guid.NewGuid():N}.env");
        await File.WriteAllTextAsync(file, "PORT=1\nDB_NAME=from_env_file\nLOG_LEVEL=warn\n");
        try
        {
            var run = await ServerRun.RunAsync(["--check-config", "--env-file", file], new Dictionary<string, string> { ["PORT"] = "4567" }, unset: ["DB_NAME", "LOG_LEVEL"]);

            Assert.Equal(0, run.ExitCode);
            Assert.Contains("listening on 127.0.0.1:4567", run.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("/from_env_file", run.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task EnvFile_LogLevelFromFile_AppliesUnlessEnvironmentSetsIt_Section8()
    {
        var file = Path.Combine(Path.GetTempPath(), $"aot-streaming-{Guid.NewGuid():N}.env");
        await File.WriteAllTextAsync(file, "LOG_LEVEL=loud\n");
        try
        {
            var fromFile = await ServerRun.RunAsync(["--check-config", "--env-file", file], unset: ["LOG_LEVEL"]);
            var fromEnvironment = await ServerRun.RunAsync(["--check-config", "--env-file", file], new Dictionary<string, string> { ["LOG_LEVEL"] = "warn" });

            Assert.Equal(1, fromFile.ExitCode);
            Assert.Contains("LOG_LEVEL", Assert.Single(fromFile.Lines), StringComparison.Ordinal);
            Assert.Equal(0, fromEnvironment.ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task EnvFile_Missing_ExitsOneNamingThePath_Section8()
    {
        var run = await ServerRun.RunAsync(["--check-config", "--env-file", "/nonexistent/.env.production"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("/nonexistent/.env.production", Assert.Single(run.Lines), StringComparison.Ordinal);
    }
}
