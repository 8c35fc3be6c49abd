using Microsoft.Extensions.Options;

namespace AotStreaming.Dispatch;

/// <summary>Sizes of the pipeline between Redis and the sockets.</summary>
public sealed class DispatchOptions
{
    public const string SectionName = "Streaming:Dispatch";

    /// <summary>
    /// Dispatcher workers, each owning a slice of the connections; 0 means <c>Math.Min(ProcessorCount, 16)</c>,
    /// the heuristic Kestrel uses for its I/O queues.
    /// </summary>
    public int DispatcherCount { get; set; }

    /// <summary>
    /// Redis messages buffered between the subscriber socket and the router. Beyond this, new messages are shed
    /// and counted (aot_streaming_ingress_dropped_total). 65,536 is minutes of the busiest Mastodon traffic.
    /// </summary>
    public int IngressCapacity { get; set; } = 65_536;

    /// <summary>Commands (events, subscribe, unsubscribe) queued for one dispatcher; the router waits when full.</summary>
    public int DispatcherInboxCapacity { get; set; } = 8_192;

    /// <summary><c>subscribed:</c> key TTL in seconds; upstream uses 3 × 360 s.</summary>
    public int PresenceKeyTtlSeconds { get; set; } = 1080;

    /// <summary>Seconds between rewrites of every <c>subscribed:</c> key; upstream uses 360 s.</summary>
    public int PresenceKeyRefreshSeconds { get; set; } = 360;

    internal int EffectiveDispatcherCount => DispatcherCount > 0 ? DispatcherCount : Math.Min(Environment.ProcessorCount, 16);
}

internal sealed class DispatchOptionsValidator : IValidateOptions<DispatchOptions>
{
    public ValidateOptionsResult Validate(string? name, DispatchOptions options)
    {
        var errors = new List<string>();
        if (options.DispatcherCount is < 0 or > 256)
        {
            errors.Add($"{DispatchOptions.SectionName}:DispatcherCount must be 0 (automatic) to 256 (was {options.DispatcherCount}).");
        }

        if (options.IngressCapacity < 16)
        {
            errors.Add($"{DispatchOptions.SectionName}:IngressCapacity must be at least 16 (was {options.IngressCapacity}).");
        }

        if (options.DispatcherInboxCapacity < 16)
        {
            errors.Add($"{DispatchOptions.SectionName}:DispatcherInboxCapacity must be at least 16 (was {options.DispatcherInboxCapacity}).");
        }

        if (options.PresenceKeyRefreshSeconds < 1 || options.PresenceKeyTtlSeconds <= options.PresenceKeyRefreshSeconds)
        {
            errors.Add($"{DispatchOptions.SectionName}:PresenceKeyTtlSeconds must exceed PresenceKeyRefreshSeconds (>= 1) (were {options.PresenceKeyTtlSeconds} and {options.PresenceKeyRefreshSeconds}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
