using AotStreaming.Support;
using AotStreaming.Testing;
using Npgsql;
using Xunit;

namespace AotStreaming.Filtering;

/// <summary>
/// A <c>filters_changed</c> that arrives while a filtered status is still waiting on the database (issue #12: the
/// filter stage used to store a connection's keyword filters from a thread-pool thread while the dispatcher cleared
/// them). The status in flight is held on a table lock, so the order of events on the server is fixed, not timed.
/// </summary>
public sealed class FiltersChangedRaceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task FiltersChanged_WhileFilteredStatusInFlight_NextStatusUsesNewFilters()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var apple = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "fruit", "apple", wholeWord: true);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "hashtag");
        await using var _ = receiver;

        // Warm-up: the server loads and caches the viewer's filters (apple only).
        await _server.PublishAsync(channel, FilterScenario.Status("r0", author.AccountId, author.Username, content: "<p>apple banana</p>"));
        Assert.Equal($"[{FilterScenario.Result(apple, "fruit", "apple")}]", (await receiver.NextAsync()).FilteredJson);

        long banana;
        await using var observer = await _db.DataSource.OpenConnectionAsync();
        await using (var lockHolder = await _db.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await lockHolder.BeginTransactionAsync();
            // Every filtered status' first query reads blocks: while this lock is held, each one stays in flight.
            await Execute(lockHolder, "LOCK TABLE blocks IN ACCESS EXCLUSIVE MODE");
            await _server.PublishAsync(channel, FilterScenario.Status("r1", author.AccountId, author.Username, content: "<p>apple banana</p>"));
            await WaitForQueriesBlockedAsync(observer, 1);

            // The user edits their filters (committed), then Rails publishes filters_changed, then the next status.
            banana = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "yellow", "banana", wholeWord: true);
            await _server.PublishAsync($"timeline:system:{viewer.AccountId}", """{"event":"filters_changed"}""");
            await _server.PublishAsync(channel, FilterScenario.Status("r2", author.AccountId, author.Username, content: "<p>apple banana</p>"));
            // The dispatcher handles its inbox in order: r2's query is blocked only after filters_changed was handled.
            await WaitForQueriesBlockedAsync(observer, 2);
            await transaction.RollbackAsync();
        }

        var first = await receiver.NextAsync();
        var next = await receiver.NextAsync();
        Assert.Equal("r1", first.Id);
        Assert.Equal("r2", next.Id);
        Assert.Equal(
            $"[{FilterScenario.Result(apple, "fruit", "apple")},{FilterScenario.Result(banana, "yellow", "banana")}]",
            next.FilteredJson);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Waits until <paramref name="count"/> sessions of this database wait on a lock (the server's filter queries).
    /// <paramref name="observer"/> is outside any transaction, so each read of pg_stat_activity is fresh.
    /// </summary>
    private static async Task WaitForQueriesBlockedAsync(NpgsqlConnection observer, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                observer);
            var blocked = (long)(await command.ExecuteScalarAsync())!;
            if (blocked >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{blocked} of {count} filter queries reached the lock within 30 s");
            await Task.Delay(20);
        }
    }
}
