using AotStreaming.Configuration;

/// <summary>
/// <c>--check-config</c>: Mastodon's variables and every option resolved and validated, without starting anything or
/// touching the network (problems are one line each, reported by <see cref="ConfigurationException"/>).
/// </summary>
internal static class CheckConfig
{
    public static void ReportValid(MastodonSettings settings) =>
        Console.WriteLine($"Configuration OK: listening on {settings.ListenDescription}, Redis {settings.RedisDescription}, PostgreSQL {settings.PostgresDescription}");
}
