using System.Diagnostics;

namespace AotStreaming.Testing;

/// <summary>
/// scripts/test-summary.sh, the last line of the README's test command and of CI: run by bash on .trx files shaped
/// like the ones <c>dotnet test --logger trx</c> writes (xunit's skipped tests are results with outcome
/// NotExecuted while the counters' notExecuted stays 0). A green run must exit 0, skipped tests or not.
/// </summary>
public sealed class TestSummaryScriptTests : IDisposable
{
    private readonly DirectoryInfo _results = Directory.CreateTempSubdirectory("aot-test-summary-");

    [Fact]
    public async Task GreenRunWithSkippedTest_CountsEachOutcomeAndElapsedTime_ExitsZero()
    {
        WriteTrx("a.trx", total: 3, passed: 2, failed: 0, "05:40:00.10", "05:41:05.90",
            Result("A.Passes", "Passed"), Result("A.AlsoPasses", "Passed"), Result("A.Skipped", "NotExecuted", "not met yet"));

        var (exitCode, output) = await RunAsync();

        Assert.Equal("2 passed, 0 failed, 1 skipped in 1m05s", output.TrimEnd('\n'));
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task TwoProjects_SummedAndTimedFromFirstStartToLastFinish()
    {
        WriteTrx("unit/a.trx", total: 1, passed: 1, failed: 0, "05:40:00.00", "05:40:03.00", Result("A.Passes", "Passed"));
        WriteTrx("integration/b.trx", total: 2, passed: 1, failed: 0, "05:40:01.00", "05:52:02.00",
            Result("B.Passes", "Passed"), Result("B.Skipped", "NotExecuted", "later"));

        var (exitCode, output) = await RunAsync("label");

        Assert.Equal("label: 2 passed, 0 failed, 1 skipped in 12m02s", output.TrimEnd('\n'));
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task FailedTest_NamedWithItsMessageBeforeTheSummary_ExitsOne()
    {
        WriteTrx("a.trx", total: 2, passed: 1, failed: 1, "05:40:00.00", "05:40:10.00",
            Result("A.Passes", "Passed"), Result("A.Fails", "Failed", "Assert.Equal() Failure: 1 &lt;&gt; 2"));

        var (exitCode, output) = await RunAsync();

        Assert.Equal(["FAILED A.Fails", "    Assert.Equal() Failure: 1 <> 2", "1 passed, 1 failed, 0 skipped in 0m10s"], output.TrimEnd('\n').Split('\n'));
        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task NoResults_ExitsOne()
    {
        var (exitCode, output) = await RunAsync();

        Assert.StartsWith("0 passed, 0 failed, 0 skipped", output, StringComparison.Ordinal);
        Assert.Equal(1, exitCode);
    }

    public void Dispose() => _results.Delete(recursive: true);

    private static string Result(string name, string outcome, string? message = null) =>
        $"""    <UnitTestResult executionId="{Guid.NewGuid()}" testId="{Guid.NewGuid()}" testName="{name}" computerName="vm" outcome="{outcome}" testListId="x">"""
        + (message is null ? "" : $"\n      <Output>\n        <ErrorInfo>\n          <Message>{message}</Message>\n        </ErrorInfo>\n      </Output>")
        + "\n    </UnitTestResult>";

    private void WriteTrx(string relativePath, int total, int passed, int failed, string start, string finish, params string[] results)
    {
        var path = Path.Combine(_results.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun id="{Guid.NewGuid()}" name="run" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <Times creation="2026-12-05T{finish}+00:00" queuing="2026-12-05T{finish}+00:00" start="2026-12-05T{start}+00:00" finish="2026-12-05T{finish}+00:00" />
              <Results>
            {string.Join('\n', results)}
              </Results>
              <ResultSummary outcome="Completed">
                <Counters total="{total}" executed="{passed + failed}" passed="{passed}" failed="{failed}" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="0" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
              </ResultSummary>
            </TestRun>
            """);
    }

    /// <summary>Runs the script on the results directory; stdout and stderr together, as CI shows them.</summary>
    private async Task<(int ExitCode, string Output)> RunAsync(string? label = null)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(RepositoryFile("scripts/test-summary.sh"));
        info.ArgumentList.Add(_results.FullName);
        if (label is not null)
        {
            info.ArgumentList.Add(label);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryFile(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "aot-streaming.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("repository root"), name);
    }
}
