using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Postgres;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Filtering;

/// <summary>
/// The database half of public/hashtag filtering (reference §6.3 steps 5–9), once per status per dispatcher:
/// one query answers blocks, mutes and domain blocks for every recipient, and one more loads keyword filters for
/// recipients whose cache is empty. Recipients without keyword matches share one cached frame (<c>filtered: []</c>).
/// If the database fails, the status is dropped for these recipients (fail closed) with a rate-limited warning.
/// </summary>
internal sealed class StatusFilterStage(StreamingDatabase database, StreamingMetrics metrics, TimeProvider time, ILogger<StatusFilterStage> logger)
{
    private long _lastFailureLog = long.MinValue;

    /// <summary>Runs the batch's queries off the dispatcher loop, then hands the batch back to its dispatcher.</summary>
    public void Start(FilterBatch batch) => _ = RunAsync(batch);

    private async Task RunAsync(FilterBatch batch)
    {
        var recipients = batch.Recipients;
        var frames = new byte[]?[recipients.Count];
        try
        {
            var facts = batch.Facts;
            var streamEvent = batch.Event;
            var viewers = new HashSet<long>();
            HashSet<long>? needFilters = null;
            foreach (var subscription in recipients)
            {
                var connection = subscription.Connection;
                viewers.Add(connection.User.AccountId);
                if (!facts.HasFiltered && connection.Filters is null)
                {
                    (needFilters ??= []).Add(connection.User.AccountId);
                }
            }

            var excluded = await database.ExcludedViewersAsync([.. viewers], facts.TargetAccountIds, facts.AccountId, facts.AccountDomain, CancellationToken.None);
            if (needFilters is not null)
            {
                await LoadKeywordFiltersAsync(recipients, needFilters);
            }

            var now = time.GetUtcNow().UtcDateTime;
            for (var i = 0; i < recipients.Count; i++)
            {
                var subscription = recipients[i];
                var connection = subscription.Connection;
                if (excluded.Contains(connection.User.AccountId))
                {
                    continue;
                }

                if (facts.HasFiltered)
                {
                    // Already personalised upstream of us: forwarded unchanged (§6.3 step 7).
                    frames[i] = Frames.For(streamEvent, subscription, default);
                    continue;
                }

                var filters = connection.Filters ?? KeywordFilterSet.Empty;
                var matches = filters.IsEmpty ? null : filters.MatchToJson(streamEvent.GetSearchableText(SearchableTextOf), now);
                frames[i] = Frames.For(streamEvent, subscription, matches ?? "[]"u8);
            }
        }
        catch (Exception ex)
        {
            // Fail closed: nobody of this batch gets the status.
            Array.Clear(frames);
            metrics.FilterQueryFailures.Increment();
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastFailureLog) > 10_000)
            {
                Interlocked.Exchange(ref _lastFailureLog, now);
                logger.FilterFailedClosed(recipients.Count, ex.Message, metrics.FilterQueryFailures.Value);
            }
        }

        batch.Resolve(frames);
        await batch.Owner.PostAsync(DispatcherCommand.Resolved(batch));
    }

    private async Task LoadKeywordFiltersAsync(IReadOnlyList<Subscription> recipients, HashSet<long> accounts)
    {
        var generations = new Dictionary<long, int>();
        foreach (var subscription in recipients)
        {
            var connection = subscription.Connection;
            generations[connection.Id] = Volatile.Read(ref connection.FiltersGeneration);
        }

        var rows = await database.KeywordFiltersAsync([.. accounts], CancellationToken.None);
        foreach (var subscription in recipients)
        {
            var connection = subscription.Connection;
            if (connection.Filters is not null || !accounts.Contains(connection.User.AccountId))
            {
                continue;
            }

            var set = rows.TryGetValue(connection.User.AccountId, out var own) ? KeywordFilterSet.Build(own) : KeywordFilterSet.Empty;
            // A filters_changed that arrived while we queried wins: the cache stays empty and the next status reloads.
            if (Volatile.Read(ref connection.FiltersGeneration) == generations[connection.Id])
            {
                connection.Filters = set;
            }
        }
    }

    private static string SearchableTextOf(ReadOnlyMemory<byte> payload) => SearchableText.Extract(payload.Span);
}
