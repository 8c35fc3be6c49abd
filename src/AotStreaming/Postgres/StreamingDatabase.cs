using System.Diagnostics;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace AotStreaming.Postgres;

/// <summary>
/// Every query the server runs, on one shared <see cref="NpgsqlDataSource"/> whose pool size is <c>DB_POOL</c>.
/// Connect-time queries (token, list, settings) pass a <see cref="ConnectQueryGate"/> that keeps part of the pool
/// for the filter queries of connected clients. The SQL of the token, list and settings lookups is upstream's (reference §4.2, §5.4, §6.4); the block, mute,
/// domain-block and keyword-filter queries are batched over all recipients of a status (one round-trip each).
/// </summary>
internal sealed class StreamingDatabase(NpgsqlDataSource dataSource, StreamingMetrics metrics)
{
    private readonly ConnectQueryGate _connectQueries = CreateGate(dataSource, metrics);

    private const string TokenSql =
        "SELECT oauth_access_tokens.id, oauth_access_tokens.resource_owner_id, users.account_id, users.chosen_languages, oauth_access_tokens.scopes, COALESCE(user_roles.permissions, 0) AS permissions FROM oauth_access_tokens INNER JOIN users ON oauth_access_tokens.resource_owner_id = users.id INNER JOIN accounts ON accounts.id = users.account_id LEFT OUTER JOIN user_roles ON user_roles.id = users.role_id WHERE oauth_access_tokens.token = $1 AND oauth_access_tokens.revoked_at IS NULL AND users.disabled IS FALSE AND accounts.suspended_at IS NULL LIMIT 1";

    private const string ListSql = "SELECT id, account_id FROM lists WHERE id = $1 AND account_id = $2 LIMIT 1";

    private const string SettingsSql = "SELECT var, value FROM settings WHERE var IN ($1, $2)";

    // Q1 and Q2 of §6.6 for every viewer at once: returns the viewers who must not see the status. Each test is an
    // uncorrelated IN, so PostgreSQL reads each table once (by its target or domain index) into a hash and probes it
    // per viewer, whatever its statistics say. The correlated EXISTS form this replaced left the choice to the
    // planner, which on empty or tiny blocks/mutes tables (a new or small instance, the bench without
    // relationships) ran three scans per viewer: 13-18 ms per status for 2,500 viewers against 0.5 ms, and 177 ms
    // once on a table emptied by deletes (pgbench, PostgreSQL 15; README, Performance).
    internal const string ExcludedViewersSql =
        """
        SELECT v.id FROM unnest($1::bigint[]) AS v(id)
        WHERE v.id IN (SELECT blocks.account_id FROM blocks WHERE blocks.target_account_id = ANY($2::bigint[]))
           OR v.id IN (SELECT blocks.target_account_id FROM blocks WHERE blocks.account_id = $3)
           OR v.id IN (SELECT mutes.account_id FROM mutes WHERE mutes.target_account_id = ANY($2::bigint[]))
           OR ($4::varchar IS NOT NULL AND v.id IN (SELECT account_domain_blocks.account_id FROM account_domain_blocks WHERE account_domain_blocks.domain = $4::varchar))
        """;

    // Q3 of §6.7 for every viewer whose cache is empty.
    private const string KeywordFiltersSql =
        "SELECT filter.account_id, filter.id, filter.phrase, filter.context, filter.expires_at, filter.action, keyword.keyword, keyword.whole_word FROM custom_filter_keywords keyword JOIN custom_filters filter ON keyword.custom_filter_id = filter.id WHERE filter.account_id = ANY($1) AND (filter.expires_at IS NULL OR filter.expires_at > NOW()) ORDER BY filter.id, keyword.id";

    public ConnectQueryGate ConnectQueries => _connectQueries;

    private static ConnectQueryGate CreateGate(NpgsqlDataSource dataSource, StreamingMetrics metrics)
    {
        // The data source was built from DB_POOL and Postgres:ConnectTimeoutSeconds (PostgresEnvironment).
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return new ConnectQueryGate(settings.MaxPoolSize, TimeSpan.FromSeconds(settings.Timeout), metrics);
    }

    /// <summary>Null when no usable row (unknown, revoked, disabled, suspended). Throws on database errors.</summary>
    public async Task<AuthenticatedUser?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        using var slot = await _connectQueries.EnterAsync(cancellationToken);
        using var timing = TimeQuery();
        await using var command = dataSource.CreateCommand(TokenSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = token });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        // A NULL scopes column makes upstream throw (500); we keep that outcome.
        var scopes = reader.IsDBNull(4)
            ? throw new InvalidOperationException("access token has NULL scopes")
            : reader.GetString(4).Split(' ');
        return new AuthenticatedUser(
            AccessTokenId: reader.GetInt64(0),
            AccountId: reader.GetInt64(2),
            Scopes: scopes,
            ChosenLanguages: reader.IsDBNull(3) ? null : reader.GetFieldValue<string[]>(3),
            Permissions: reader.GetInt64(5));
    }

    public async Task<bool> OwnsListAsync(long listId, long accountId, CancellationToken cancellationToken)
    {
        using var slot = await _connectQueries.EnterAsync(cancellationToken);
        using var timing = TimeQuery();
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = listId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = accountId });
        var found = await command.ExecuteScalarAsync(cancellationToken) is not null;
        return found;
    }

    /// <summary>(local allowed, remote allowed): false only for a row whose value is exactly <c>--- disabled\n</c>.</summary>
    public async Task<(bool Local, bool Remote)> FeedAccessAsync(string localVar, string remoteVar, CancellationToken cancellationToken)
    {
        using var slot = await _connectQueries.EnterAsync(cancellationToken);
        using var timing = TimeQuery();
        await using var command = dataSource.CreateCommand(SettingsSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = localVar });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = remoteVar });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        bool local = true, remote = true;
        while (await reader.ReadAsync(cancellationToken))
        {
            var disabled = !reader.IsDBNull(1) && reader.GetString(1) == "--- disabled\n";
            if (reader.GetString(0) == localVar)
            {
                local = !disabled;
            }
            else
            {
                remote = !disabled;
            }
        }

        return (local, remote);
    }

    public async Task<HashSet<long>> ExcludedViewersAsync(long[] viewers, long[] targetAccountIds, long authorId, string? authorDomain, CancellationToken cancellationToken)
    {
        metrics.FilterQueries.Increment();
        using var timing = TimeQuery();
        await using var command = dataSource.CreateCommand(ExcludedViewersSql);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = viewers });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = targetAccountIds });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = authorId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)authorDomain ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        var excluded = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            excluded.Add(reader.GetInt64(0));
        }

        return excluded;
    }

    public async Task<Dictionary<long, List<KeywordFilterRow>>> KeywordFiltersAsync(long[] accountIds, CancellationToken cancellationToken)
    {
        metrics.FilterQueries.Increment();
        using var timing = TimeQuery();
        await using var command = dataSource.CreateCommand(KeywordFiltersSql);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = accountIds });
        var result = new Dictionary<long, List<KeywordFilterRow>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var account = reader.GetInt64(0);
            if (!result.TryGetValue(account, out var rows))
            {
                result[account] = rows = [];
            }

            rows.Add(new KeywordFilterRow(
                FilterId: reader.GetInt64(1),
                Title: reader.GetString(2),
                Context: reader.GetFieldValue<string[]>(3),
                ExpiresAtUtc: reader.IsDBNull(4) ? null : DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc),
                Action: reader.GetInt32(5),
                Keyword: reader.GetString(6),
                WholeWord: reader.GetBoolean(7)));
        }

        return result;
    }

    /// <summary>
    /// Starts timing one query for <see cref="StreamingMetrics.QueryDuration"/>, from after the connect-query gate
    /// (for the queries that pass it) until the result is read. Disposed by <c>using</c>, so failed queries are
    /// recorded too: a query that runs into its timeout is the one the histogram should show.
    /// </summary>
    private QueryTiming TimeQuery() => new(metrics, Stopwatch.GetTimestamp());

    private readonly struct QueryTiming(StreamingMetrics metrics, long started) : IDisposable
    {
        public void Dispose() => metrics.QueryDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
