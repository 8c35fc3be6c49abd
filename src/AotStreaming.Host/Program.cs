using AotStreaming.Configuration;
using AotStreaming.Hosting;

// The whole executable: compose, validate, run. Configuration errors are one line each and exit code 1, never a
// stack trace. --check-config validates without starting anything (no network); --check-connections also tries
// Redis and PostgreSQL once each.
if (args is ["--health"])
{
    // The container image's HEALTHCHECK (no shell, no curl in it): probe the running server, start nothing.
    return await HealthProbe.RunAsync();
}

var checkConfig = Array.IndexOf(args, "--check-config") >= 0;
var checkConnections = Array.IndexOf(args, "--check-connections") >= 0;
var hostArgs = Array.FindAll(args, a => a is not ("--check-config" or "--check-connections"));
try
{
    if (checkConfig || checkConnections)
    {
        var settings = StreamingApp.CheckConfiguration(hostArgs);
        CheckConfig.ReportValid(settings);
        return checkConnections ? await CheckConnections.RunAsync(settings) : 0;
    }

    var app = StreamingApp.Build(hostArgs);
    await app.RunAsync();
    return 0;
}
catch (ConfigurationException ex)
{
    foreach (var problem in ex.Problems)
    {
        await Console.Error.WriteLineAsync(problem);
    }

    return 1;
}
