using System.Diagnostics;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AotStreaming.Reliability;

/// <summary>
/// Issue 10 item 7: token lookups stuck behind <c>LOCK TABLE oauth_access_tokens</c> while 50 clients connect must
/// not take the connections the filter queries of connected clients need. At the shipped defaults (DB_POOL 10,
/// Postgres:ConnectTimeoutSeconds 5) a starved filter query waits 5 s and then fails closed, losing the status.
/// </summary>
public sealed class AuthStormTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private const int PoolSize = 10;
    private const int NewClients = 50;
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(2);

    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task TokenTableLocked_FiftyClientsConnecting_ConnectedClientsFilteredStatusesStillPrompt()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var blocked = await _db.CreateUserAsync();
        var newcomer = await _db.CreateUserAsync();
        await _db.ExecuteAsync("INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)", viewer.AccountId, blocked.AccountId);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;
        await using var locker = await _db.DataSource.OpenConnectionAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var command = locker.CreateCommand())
        {
            command.CommandText = "LOCK TABLE oauth_access_tokens";
            await command.ExecuteNonQueryAsync();
        }

        using var storm = new HttpClient { BaseAddress = _server.HttpBase, Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var connecting = Enumerable.Range(0, NewClients).Select(_ => ConnectAsync(storm, newcomer.Token, stop.Token)).ToArray();
        await WaitForSaturatedAuthAsync();

        var timings = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await _server.PublishAsync(channel, FilterScenario.Status("hidden" + i, blocked.AccountId, blocked.Username));
            await _server.PublishAsync(channel, FilterScenario.Status("shown" + i, author.AccountId, author.Username));

            var frame = await receiver.NextAsync(s_prompt);
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.Equal("shown" + i, frame.Id);
            Assert.Equal("[]", frame.FilteredJson);
        }

        output.WriteLine($"delivery during the auth storm, ms: {string.Join(", ", timings.Select(t => t.ToString("F0")))}");
        await transaction.RollbackAsync();
        await stop.CancelAsync();
        await Task.WhenAll(connecting);
    }

    /// <summary>
    /// Waits until the storm holds every connection token lookups may get: the whole pool (unfixed), or half of it
    /// with the rest of the storm queued in front of the pool.
    /// </summary>
    private async Task WaitForSaturatedAuthAsync()
    {
        // Polling PostgreSQL's and the server's state: there is no event to await for another process.
        var (onLock, queued) = await Eventually.UntilAsync(
            async () =>
            {
                var onLock = (long)(await _db.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))!;
                MetricsText.TryValue(await _server.MetricsAsync(), "aot_streaming_db_connect_queries_waiting", out var queued);
                return (OnLock: onLock, Queued: queued);
            },
            state => state.OnLock >= PoolSize || (state.OnLock >= PoolSize / 2 && state.Queued > 0),
            DefaultTimeoutExtensions.Timeout,
            "the auth storm to saturate its connections",
            state => $"token lookups waiting on the lock: {state.OnLock}, queued for a connection: {state.Queued}");
        output.WriteLine($"token lookups waiting on the lock: {onLock}, queued for a connection: {queued}");
    }

    private static async Task ConnectAsync(HttpClient http, string token, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/streaming/user");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
        }
    }
}
