using Microsoft.Extensions.Options;

namespace AotStreaming.Ingress;

/// <summary>What the server accepts from Redis.</summary>
public sealed class IngressOptions
{
    public const string SectionName = "Streaming:Ingress";

    /// <summary>
    /// Redis messages larger than this are skipped as they stream in (never buffered), counted in
    /// <c>aot_streaming_redis_oversized_total</c> and logged at most once a minute. 32 MiB is Redis' default hard
    /// limit for a subscriber's output buffer (<c>client-output-buffer-limit pubsub 32mb</c>), so with Redis'
    /// defaults no message this server could receive at all is skipped; the bound matters when that limit was
    /// raised. A real Mastodon payload is far below it: a status with 4 media descriptions of 1,500 characters, a
    /// poll, a card and its account is tens of KB, and even forks allowing 100,000-character posts stay under 1 MB.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 32 * 1024 * 1024;
}

internal sealed class IngressOptionsValidator : IValidateOptions<IngressOptions>
{
    public ValidateOptionsResult Validate(string? name, IngressOptions options) =>
        options.MaxMessageBytes is < 1024 or > 512 * 1024 * 1024
            ? ValidateOptionsResult.Fail($"{IngressOptions.SectionName}:MaxMessageBytes must be 1024..536870912 (Redis' largest bulk string) (was {options.MaxMessageBytes}).")
            : ValidateOptionsResult.Success;
}
