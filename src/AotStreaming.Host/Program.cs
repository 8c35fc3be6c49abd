using AotStreaming.Configuration;
using AotStreaming.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// The whole executable: compose, validate, run. Configuration errors are one line and exit code 1, never a stack trace.
if (args is ["--health"])
{
    // The container image's HEALTHCHECK (no shell, no curl in it): probe the running server, start nothing.
    return await HealthProbe.RunAsync();
}

var checkOnly = Array.IndexOf(args, "--check-config") >= 0;
var hostArgs = Array.FindAll(args, a => a != "--check-config");
try
{
    var app = StreamingApp.Build(hostArgs);
    if (checkOnly)
    {
        return CheckConfig.Run(app.Services);
    }

    await app.RunAsync();
    return 0;
}
catch (ConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}
catch (OptionsValidationException ex)
{
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync(failure);
    }

    return 1;
}
