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
