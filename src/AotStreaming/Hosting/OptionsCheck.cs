using System.Text.RegularExpressions;
using AotStreaming.Configuration;
using AotStreaming.Delivery;
using AotStreaming.Dispatch;
using AotStreaming.Endpoints;
using AotStreaming.Ingress;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AotStreaming.Hosting;

/// <summary>
/// The one place options are bound and validated: every options class, before anything uses one, so a bad value is
/// one line naming the key and the value (exit 1), at <c>--check-config</c> and at startup alike, never a binder
/// exception with a stack trace. A new options class is added here and to <see cref="CheckedOptions"/>; a unit test
/// feeds a bad value to every property of every options class and fails on one this check misses.
/// </summary>
internal static partial class OptionsCheck
{
    /// <summary>Adds a line per problem to <paramref name="problems"/>; answers the options when all are valid.</summary>
    public static CheckedOptions? Validate(IConfiguration configuration, List<string> problems)
    {
        // Each Bind call names its type, so the configuration-binding source generator handles it (no reflection).
        var delivery = Check(configuration, DeliveryOptions.SectionName, new DeliveryOptionsValidator(), static (c, o) => c.Bind(o), static () => new DeliveryOptions(), problems);
        var dispatch = Check(configuration, DispatchOptions.SectionName, new DispatchOptionsValidator(), static (c, o) => c.Bind(o), static () => new DispatchOptions(), problems);
        var limits = Check(configuration, LimitsOptions.SectionName, new LimitsOptionsValidator(), static (c, o) => c.Bind(o), static () => new LimitsOptions(), problems);
        var ingress = Check(configuration, IngressOptions.SectionName, new IngressOptionsValidator(), static (c, o) => c.Bind(o), static () => new IngressOptions(), problems);
        var postgres = Check(configuration, PostgresOptions.SectionName, new PostgresOptionsValidator(), static (c, o) => c.Bind(o), static () => new PostgresOptions(), problems);
        return delivery is not null && dispatch is not null && limits is not null && ingress is not null && postgres is not null
            ? new CheckedOptions(delivery, dispatch, limits, ingress, postgres)
            : null;
    }

    private static T? Check<T>(IConfiguration configuration, string sectionName, IValidateOptions<T> validator, Action<IConfiguration, T> bind, Func<T> create, List<string> problems)
        where T : class
    {
        var section = configuration.GetSection(sectionName);
        var options = create();
        try
        {
            bind(section, options);
        }
        catch (InvalidOperationException)
        {
            // The binder stops at the first value it cannot convert and names neither it nor the others: bind each
            // value of the section on its own to name every bad one.
            foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
            {
                if (value is not null && BindFailure(key, value, bind, create) is { } type)
                {
                    problems.Add($"Invalid option {sectionName}:{key}: '{value}' is not {type}");
                }
            }

            return null;
        }

        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            problems.AddRange(result.Failures);
            return null;
        }

        return options;
    }

    /// <summary>What the value should have been, when binding <paramref name="key"/> alone fails; null when it binds.</summary>
    private static string? BindFailure<T>(string key, string value, Action<IConfiguration, T> bind, Func<T> create)
    {
        var single = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        try
        {
            bind(single, create());
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return TargetType().Match(ex.Message) is { Success: true } match
                ? match.Groups[1].Value switch
                {
                    "System.Int32" or "System.Int64" => "an integer",
                    "System.Double" => "a number",
                    "System.Boolean" => "true or false",
                    var other => "a " + other,
                }
                : "a valid value";
        }
    }

    // The binder's message: "Failed to convert configuration value '…' at '…' to type 'System.Int32'."
    [GeneratedRegex("to type '([^']+)'")]
    private static partial Regex TargetType();
}
