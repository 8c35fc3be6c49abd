using AotStreaming.Diagnostics;
using AotStreaming.Postgres;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Filtering;

/// <summary>
/// The database half of public/hashtag filtering (reference §6.3 steps 5–9), once per status per dispatcher:
/// one query answers blocks, mutes and domain blocks for every viewer, and one more loads keyword filters for
/// viewers whose dispatcher has none cached. The status text is made searchable and canonical once, then matched
/// against each viewer's filters. If the database fails, the verdict is <see cref="FilterVerdict.FailedClosed"/>
/// with a rate-limited warning. Owner of nothing per connection: it answers the request and forgets it.
/// </summary>
internal sealed class StatusFilterStage(StreamingDatabase database, StreamingMetrics metrics, TimeProvider time, ILogger<StatusFilterStage> logger) : IStatusFilter
{
    private readonly Throttle _failureLog = new(TimeSpan.FromSeconds(10));

    /// <summary>Runs the request's queries off the dispatcher loop, then posts the verdict to the request's inbox.</summary>
    public void Start(FilterRequest request) => _ = RunAsync(request);

    private async Task RunAsync(FilterRequest request)
    {
        FilterVerdict verdict;
        try
        {
            verdict = await JudgeAsync(request);
        }
        catch (Exception ex)
        {
            verdict = FilterVerdict.FailedClosed;
            metrics.FilterQueryFailures.Increment();
            if (_failureLog.TryPass())
            {
                logger.FilterFailedClosed(request.Viewers.Count, ex.Message, metrics.FilterQueryFailures.Value);
            }
        }

        await request.ReplyTo.PostFilterVerdictAsync(request, verdict);
    }

    private async Task<FilterVerdict> JudgeAsync(FilterRequest request)
    {
        var facts = request.Facts;
        var viewers = request.Viewers;
        var excluded = await database.ExcludedViewersAsync([.. viewers.Keys], facts.TargetAccountIds, facts.AccountId, facts.AccountDomain, CancellationToken.None);
        if (facts.HasFiltered)
        {
            // Already personalised upstream of us: forwarded unchanged (§6.3 step 7), so keyword filters do not matter.
            return new FilterVerdict(excluded, null, null);
        }

        List<long>? toLoad = null;
        foreach (var (viewer, cached) in viewers)
        {
            if (cached is null)
            {
                (toLoad ??= []).Add(viewer);
            }
        }

        Dictionary<long, KeywordFilterSet>? loaded = null;
        if (toLoad is not null)
        {
            var rows = await database.KeywordFiltersAsync([.. toLoad], CancellationToken.None);
            loaded = new Dictionary<long, KeywordFilterSet>(toLoad.Count);
            foreach (var viewer in toLoad)
            {
                loaded[viewer] = rows.TryGetValue(viewer, out var own) ? KeywordFilterSet.Build(own) : KeywordFilterSet.Empty;
            }
        }

        Dictionary<long, byte[]>? matches = null;
        string? text = null;
        string? canonical = null;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (viewer, cached) in viewers)
        {
            var filters = cached ?? loaded![viewer];
            if (filters.IsEmpty || excluded.Contains(viewer))
            {
                continue;
            }

            if (text is null)
            {
                text = request.Event.GetSearchableText(SearchableTextOf);
                canonical = RegexIgnoreCase.Canonicalize(text);
            }

            if (text.Length > 0 && filters.MatchToJson(text, canonical!, now) is { } json)
            {
                (matches ??= [])[viewer] = json;
            }
        }

        return new FilterVerdict(excluded, matches, loaded);
    }

    private static string SearchableTextOf(ReadOnlyMemory<byte> payload) => SearchableText.Extract(payload.Span);
}
