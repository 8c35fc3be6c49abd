using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>Limits that keep one client or one address from exhausting the server; all counted in metrics.</summary>
public sealed class LimitsOptions
{
    public const string SectionName = "Streaming:Limits";

    /// <summary>
    /// Open streaming connections (WebSocket + SSE) in total; 0 means unlimited. 50,000 is well above what one
    /// process serves on a small VPS and below a 65,536 file-descriptor limit, leaving room for Redis and PostgreSQL.
    /// </summary>
    public int MaxConnections { get; set; } = 50_000;

    /// <summary>
    /// Open connections per client address (after <c>TRUSTED_PROXY_IP</c>); 0 means unlimited. A browser with many
    /// tabs and a phone behind one NAT stay far below 256; a reconnect loop gone wrong does not.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>Subscriptions on one WebSocket. The web client uses a handful; 100 hashtag columns is a lot.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>
    /// Bytes in one client message; larger messages close the socket with 1009. Subscribe messages are under
    /// 200 bytes; upstream allows 100 MiB, which only an attacker uses.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024;

    /// <summary>Subscribe and unsubscribe messages per second on one WebSocket (sustained rate).</summary>
    public double CommandsPerSecond { get; set; } = 20;

    /// <summary>
    /// Seconds a client may take to send its request headers before Kestrel closes the connection (slow-loris
    /// defence); every legitimate client sends them in one packet.
    /// </summary>
    public int RequestHeadersTimeoutSeconds { get; set; } = 15;

    /// <summary>Burst of subscribe and unsubscribe messages allowed above the sustained rate (the web client re-subscribes all columns at once).</summary>
    public int CommandBurst { get; set; } = 200;
}

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var errors = new List<string>();
        if (options.MaxConnections < 0)
        {
            errors.Add($"{LimitsOptions.SectionName}:MaxConnections must be >= 0, 0 = unlimited (was {options.MaxConnections}).");
        }

        if (options.MaxConnectionsPerAddress < 0)
        {
            errors.Add($"{LimitsOptions.SectionName}:MaxConnectionsPerAddress must be >= 0, 0 = unlimited (was {options.MaxConnectionsPerAddress}).");
        }

        if (options.MaxSubscriptionsPerConnection < 1)
        {
            errors.Add($"{LimitsOptions.SectionName}:MaxSubscriptionsPerConnection must be >= 1 (was {options.MaxSubscriptionsPerConnection}).");
        }

        if (options.MaxMessageBytes is < 256 or > 16 * 1024 * 1024)
        {
            errors.Add($"{LimitsOptions.SectionName}:MaxMessageBytes must be 256..16777216 (was {options.MaxMessageBytes}).");
        }

        if (!(options.CommandsPerSecond > 0))
        {
            errors.Add($"{LimitsOptions.SectionName}:CommandsPerSecond must be > 0 (was {options.CommandsPerSecond}).");
        }

        if (options.CommandBurst < 1)
        {
            errors.Add($"{LimitsOptions.SectionName}:CommandBurst must be >= 1 (was {options.CommandBurst}).");
        }

        if (options.RequestHeadersTimeoutSeconds is < 1 or > 300)
        {
            errors.Add($"{LimitsOptions.SectionName}:RequestHeadersTimeoutSeconds must be 1..300 (was {options.RequestHeadersTimeoutSeconds}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
