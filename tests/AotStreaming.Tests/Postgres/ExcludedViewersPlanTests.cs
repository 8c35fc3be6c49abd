using System.Text.Json;
using AotStreaming.Testing;
using Npgsql;
using Xunit;

namespace AotStreaming.Postgres;

/// <summary>
/// The batched blocks/mutes/domain-blocks query (reference §6.6 Q1 and Q2 for every viewer of a status) must read
/// each relationship table once, not once per viewer, whatever PostgreSQL's statistics say. Measured with the
/// correlated EXISTS form it replaced: on empty tables the planner ran three scans per viewer (loops=2501), 13-18 ms
/// per status for 2,500 viewers instead of 0.5 ms, and the public-timeline bench without relationships was 15 ms
/// slower at p50 than the one with them. The plan is checked with EXPLAIN ANALYZE on real PostgreSQL: no subplan may
/// run more than once. Each case shadows the three tables with temporary ones of the same shape (indexes included)
/// inside a rolled-back transaction, so the statistics are exactly the case's.
/// </summary>
public sealed class ExcludedViewersPlanTests : IAsyncLifetime
{
    private const int Viewers = 2_500;
    private MastodonDatabase _db = null!;

    public async Task InitializeAsync() => _db = await MastodonDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Theory]
    [InlineData(0, null)]
    [InlineData(0, "remote.example")]
    [InlineData(3, null)]
    [InlineData(3, "remote.example")]
    [InlineData(2_000, "remote.example")]
    public async Task ExcludedViewersQuery_AnyTableSize_EachSubplanRunsOnce(int rowsPerTable, string? authorDomain)
    {
        const long author = 1;
        var viewers = Enumerable.Range(1_000, Viewers).Select(i => (long)i).ToArray();
        await using var connection = await _db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var table in new[] { "blocks", "mutes", "account_domain_blocks" })
        {
            await ExecuteAsync(connection, $"CREATE TEMP TABLE {table} (LIKE public.{table} INCLUDING ALL) ON COMMIT DROP");
        }

        // Every 20th viewer blocks the author, every 20th (shifted) mutes it, every 20th blocks its domain; the rest of
        // the rows belong to accounts that are not viewers.
        await ExecuteAsync(connection,
            $"""
            INSERT INTO blocks (account_id, target_account_id, created_at, updated_at)
              SELECT CASE WHEN g % 2 = 0 THEN 1000 + g * 20 ELSE 900000 + g END, {author}, now(), now() FROM generate_series(1, {rowsPerTable}) g;
            INSERT INTO mutes (account_id, target_account_id, created_at, updated_at)
              SELECT CASE WHEN g % 2 = 0 THEN 1001 + g * 20 ELSE 900000 + g END, {author}, now(), now() FROM generate_series(1, {rowsPerTable}) g;
            INSERT INTO account_domain_blocks (account_id, domain, created_at, updated_at)
              SELECT CASE WHEN g % 2 = 0 THEN 1002 + g * 20 ELSE 900000 + g END, 'remote.example', now(), now() FROM generate_series(1, {rowsPerTable}) g;
            ANALYZE pg_temp.blocks; ANALYZE pg_temp.mutes; ANALYZE pg_temp.account_domain_blocks;
            """);

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + StreamingDatabase.ExcludedViewersSql, connection, transaction);
        explain.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = viewers });
        explain.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [author] });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = author });
        explain.Parameters.Add(new NpgsqlParameter { Value = (object?)authorDomain ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);

        var loops = new List<(string Node, long Loops)>();
        CollectLoops(plan.RootElement[0].GetProperty("Plan"), loops);
        Assert.NotEmpty(loops);
        Assert.All(loops, node => Assert.True(node.Loops <= 1, $"{node.Node} ran {node.Loops} times: the query scans a relationship table per viewer"));

        // And it still answers the question: the same set as a per-viewer reading of §6.6.
        await using var query = new NpgsqlCommand(StreamingDatabase.ExcludedViewersSql, connection, transaction);
        foreach (NpgsqlParameter parameter in explain.Parameters)
        {
            query.Parameters.Add(parameter.Clone());
        }

        var excluded = new HashSet<long>();
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                excluded.Add(reader.GetInt64(0));
            }
        }

        var expected = Enumerable.Range(1, rowsPerTable).Where(g => g % 2 == 0)
            .SelectMany(g => authorDomain is null ? new long[] { 1000 + g * 20, 1001 + g * 20 } : [1000 + g * 20, 1001 + g * 20, 1002 + g * 20])
            .Where(id => id < 1_000 + Viewers)
            .ToHashSet();
        Assert.Equal(expected.Order(), excluded.Order());
    }

    /// <summary>Every node below the top one that scans a relationship table, with its loop count.</summary>
    private static void CollectLoops(JsonElement node, List<(string, long)> into)
    {
        if (node.TryGetProperty("Relation Name", out var relation))
        {
            into.Add(($"{node.GetProperty("Node Type").GetString()} on {relation.GetString()}", node.GetProperty("Actual Loops").GetInt64()));
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                CollectLoops(child, into);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
