using Microsoft.Extensions.Options;

namespace AotStreaming.Configuration;

/// <summary>How we use PostgreSQL; the pool size comes from Mastodon's <c>DB_POOL</c>.</summary>
public sealed class PostgresOptions
{
    public const string SectionName = "Streaming:Postgres";

    /// <summary>
    /// Seconds to wait for a pooled connection or a TCP connect. Upstream waits 15 s; we answer a dead database with
    /// a 500 within a few seconds instead, so clients retry rather than hang.
    /// </summary>
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>Seconds one query may run (auth, list, settings, filters, relationships) before it fails closed.</summary>
    public int CommandTimeoutSeconds { get; set; } = 10;
}

internal sealed class PostgresOptionsValidator : IValidateOptions<PostgresOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresOptions options)
    {
        var errors = new List<string>();
        if (options.ConnectTimeoutSeconds is < 1 or > 300)
        {
            errors.Add($"{PostgresOptions.SectionName}:ConnectTimeoutSeconds must be 1..300 (was {options.ConnectTimeoutSeconds}).");
        }

        if (options.CommandTimeoutSeconds is < 1 or > 3600)
        {
            errors.Add($"{PostgresOptions.SectionName}:CommandTimeoutSeconds must be 1..3600 (was {options.CommandTimeoutSeconds}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
