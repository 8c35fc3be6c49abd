using AotStreaming.Configuration;
using AotStreaming.Delivery;
using AotStreaming.Dispatch;
using AotStreaming.Endpoints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

/// <summary><c>--check-config</c>: resolve Mastodon's variables and validate every options type; one line per failure.</summary>
internal static class CheckConfig
{
    public static int Run(IServiceProvider services)
    {
        var failures = new List<string>();
        Validate<DeliveryOptions>(services, failures);
        Validate<DispatchOptions>(services, failures);
        Validate<LimitsOptions>(services, failures);
        Validate<PostgresOptions>(services, failures);
        foreach (var failure in failures)
        {
            Console.Error.WriteLine(failure);
        }

        if (failures.Count == 0)
        {
            var settings = services.GetRequiredService<MastodonSettings>();
            Console.WriteLine($"Configuration OK: listening on {settings.ListenDescription}, Redis {settings.RedisDescription}, PostgreSQL {settings.PostgresDescription}");
        }

        return failures.Count == 0 ? 0 : 1;
    }

    private static void Validate<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(IServiceProvider services, List<string> failures)
        where T : class
    {
        try
        {
            _ = services.GetRequiredService<IOptions<T>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            failures.AddRange(ex.Failures);
        }
    }
}
