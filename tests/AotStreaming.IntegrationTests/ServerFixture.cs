using AotStreaming.Testing;
using Xunit;

namespace AotStreaming;

/// <summary>One database and one real server per test class; tests seed their own accounts.</summary>
public class ServerFixture : IAsyncLifetime
{
    public StreamingServer Server { get; private set; } = null!;

    public MastodonDatabase Database { get; private set; } = null!;

    protected virtual IEnumerable<string> Arguments => [];

    /// <summary>Extra environment variables for the server (Mastodon's, such as <c>TRUSTED_PROXY_IP</c>, or runtime GC settings).</summary>
    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    /// <summary>False starts the server without <c>REDIS_NAMESPACE</c> (reference §5.5).</summary>
    protected virtual bool UseNamespace => true;

    public async Task InitializeAsync()
    {
        Database = await MastodonDatabase.CreateAsync();
        Server = await StreamingServer.StartAsync(Database, Arguments, Environment, useNamespace: UseNamespace);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Database.DisposeAsync();
    }
}
