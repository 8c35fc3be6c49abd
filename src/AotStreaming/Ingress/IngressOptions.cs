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

    /// <summary>
    /// The nice value (-20..0) of the thread that reads the Redis subscriber socket; 0 leaves it at the process's.
    /// It is raised so that, when every core is busy, the thread is not left waiting for one while Redis counts a
    /// burst of large messages against its pub/sub output limit (ReadThreadPriority has the measurements). Raising needs
    /// CAP_SYS_NICE or an RLIMIT_NICE that allows it: the packaged unit sets <c>LimitNICE=-10</c>; without either the
    /// thread keeps the process's priority and the server logs that once at startup. -10 puts the thread far ahead
    /// of normal processes (about 9 times their CPU share under contention) and leaves -11..-20 to whatever the
    /// admin ranks higher still.
    /// </summary>
    public int ReadThreadNice { get; set; } = -10;
}

internal sealed class IngressOptionsValidator : IValidateOptions<IngressOptions>
{
    public ValidateOptionsResult Validate(string? name, IngressOptions options)
    {
        var problems = new List<string>();
        if (options.MaxMessageBytes is < 1024 or > 512 * 1024 * 1024)
        {
            problems.Add($"{IngressOptions.SectionName}:MaxMessageBytes must be 1024..536870912 (Redis' largest bulk string) (was {options.MaxMessageBytes}).");
        }

        if (options.ReadThreadNice is < -20 or > 0)
        {
            problems.Add($"{IngressOptions.SectionName}:ReadThreadNice must be -20..0 (was {options.ReadThreadNice}).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
