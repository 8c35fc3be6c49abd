using Xunit;

namespace AotStreaming.Filtering;

/// <summary>
/// A server whose database disables the local live feed and the remote topic feed (reference §6.4). Settings are
/// global per database, so these tests get a database of their own.
/// </summary>
public sealed class FeedAccessFixture : ServerFixture, IAsyncLifetime
{
    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        await Database.ExecuteAsync("INSERT INTO settings (var, value) VALUES ('local_live_feed_access', $1), ('remote_live_feed_access', '--- public\n'), ('remote_topic_feed_access', $1)", "--- disabled\n");
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync();
}
