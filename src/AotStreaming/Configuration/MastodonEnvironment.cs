using Microsoft.Extensions.Logging;

namespace AotStreaming.Configuration;

/// <summary>
/// The one place that reads the Node server's environment variables (reference §8) and Mastodon's
/// dotenv file. Precedence: process environment, then the dotenv file (never overriding), then defaults.
/// </summary>
public static class MastodonEnvironment
{
    public static MastodonSettings Load(string? envFile, PostgresOptions postgres, IReadOnlyDictionary<string, string>? overrides = null)
    {
        Dictionary<string, string>? dotEnv = null;
        if (!string.IsNullOrEmpty(envFile))
        {
            if (!File.Exists(envFile))
            {
                throw new ConfigurationException($"Invalid env file: {envFile} does not exist");
            }

            dotEnv = DotEnvFile.Parse(File.ReadAllText(envFile));
        }

        var settings = Resolve(EnvironmentReader.FromProcess(dotEnv, overrides), postgres);
        return dotEnv is null ? settings : settings with { EnvFileLoaded = envFile };
    }

    /// <summary>
    /// Resolves every variable, going on past a bad one so that all of them are reported together, one line each
    /// (README: "one line per problem"); throws <see cref="ConfigurationException"/> listing them.
    /// </summary>
    internal static MastodonSettings Resolve(EnvironmentReader env, PostgresOptions postgres)
    {
        var environment = env.NonEmpty("NODE_ENV") ?? "development";
        var (redis, redisDescription, redisTrust) = Attempt(env, () => RedisEnvironment.Build(env),
            (new StackExchange.Redis.ConfigurationOptions(), "", RedisCertificateTrust.SystemOnly));
        var port = env.NonEmpty("PORT") ?? "4000";
        if (!int.TryParse(port, out var portNumber) || portNumber is < 0 or > 65535)
        {
            env.Report($"Invalid PORT environment variable: {port}");
        }

        var bind = env.Raw("BIND") ?? "127.0.0.1";
        if (bind.StartsWith('[') && bind.EndsWith(']'))
        {
            bind = bind[1..^1];
        }

        if (env.NonEmpty("SOCKET") is null && bind is not ("localhost" or "" or "0.0.0.0" or "::") && !System.Net.IPAddress.TryParse(bind, out _))
        {
            // Checked here as well as where Kestrel listens, so --check-config (which starts nothing) reports it.
            env.Report($"Invalid BIND environment variable: {bind}");
        }

        var settings = new MastodonSettings
        {
            Environment = environment,
            LogLevel = Attempt(env, () => ParseLogLevel(env.NonEmpty("LOG_LEVEL"), environment), LogLevel.Information),
            SocketPath = env.NonEmpty("SOCKET"),
            Bind = bind,
            Port = portNumber,
            TrustedProxies = (env.NonEmpty("TRUSTED_PROXY_IP") ?? "")
                .Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            PostgresConnectionString = Attempt(env, () => PostgresEnvironment.Build(env, environment, postgres), ""),
            Redis = redis,
            RedisTrust = redisTrust,
            RedisNamespace = env.NonEmpty("REDIS_NAMESPACE"),
            RedisDescription = redisDescription,
        };

        return env.Problems.Count == 0 ? settings : throw new ConfigurationException([.. env.Problems]);
    }

    /// <summary>One part of the resolution; its problems are noted and <paramref name="fallback"/> stands in.</summary>
    private static T Attempt<T>(EnvironmentReader env, Func<T> resolve, T fallback)
    {
        try
        {
            return resolve();
        }
        catch (ConfigurationException ex)
        {
            foreach (var problem in ex.Problems)
            {
                env.Report(problem);
            }

            return fallback;
        }
    }

    /// <summary>
    /// pino level names, plus npmlog's <c>silly</c>, <c>verbose</c> and <c>http</c> that older Mastodon
    /// <c>.env</c> files still carry. Unknown names stop startup rather than silently changing verbosity.
    /// </summary>
    internal static LogLevel ParseLogLevel(string? value, string environment) => value?.ToLowerInvariant() switch
    {
        null => environment == "development" ? LogLevel.Debug : LogLevel.Information,
        "trace" or "silly" => LogLevel.Trace,
        "debug" or "verbose" => LogLevel.Debug,
        "info" or "http" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        "silent" => LogLevel.None,
        _ => throw new ConfigurationException($"Invalid LOG_LEVEL environment variable: {value}"),
    };
}
