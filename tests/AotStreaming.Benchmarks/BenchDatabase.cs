using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace AotStreaming.Benchmarks;

/// <summary>
/// Creates the bench database from the test schema and seeds it with binary COPY: statuses are authored by
/// <see cref="AuthorCount"/> local accounts (ids 1..4); client i is account <c>ClientAccountBase + i</c>,
/// user <c>i + 1</c>, token <c>bench-token-i</c> with scope <c>read</c>.
/// </summary>
internal static class BenchDatabase
{
    public const int AuthorCount = 4;
    public const long BlockedAuthorId = 1;
    public const long MutedAuthorId = 2;
    public const string FilterKeyword = "bench";

    public const long ClientAccountBase = 1000;

    public static string TokenFor(int client) => "bench-token-" + client.ToString(CultureInfo.InvariantCulture);

    /// <summary>Username of an author; author 1 is "bench", as in the default payload.</summary>
    public static string AuthorUsername(long authorId) => authorId == 1 ? "bench" : "author" + authorId.ToString(CultureInfo.InvariantCulture);

    public static async Task CreateAsync(string adminConnectionString, PostgresTarget target)
    {
        var admin = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false };
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            var name = new NpgsqlCommandBuilder().QuoteIdentifier(target.Database);
            await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await ExecuteAsync(connection, $"CREATE DATABASE {name}");
        }

        var schema = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "mastodon-schema.sql"));
        await using var bench = new NpgsqlConnection(target.ConnectionString);
        await bench.OpenAsync();
        await ExecuteAsync(bench, schema);
    }

    public static async Task SeedAccountsAsync(PostgresTarget target, int clients)
    {
        await using var connection = new NpgsqlConnection(target.ConnectionString);
        await connection.OpenAsync();

        await using (var accounts = await connection.BeginBinaryImportAsync("COPY accounts (id, username) FROM STDIN (FORMAT BINARY)"))
        {
            for (long author = 1; author <= AuthorCount; author++)
            {
                await accounts.WriteRowAsync(default, author, AuthorUsername(author));
            }

            for (var i = 0; i < clients; i++)
            {
                await accounts.WriteRowAsync(default, ClientAccountBase + i, "client" + i.ToString(CultureInfo.InvariantCulture));
            }

            await accounts.CompleteAsync();
        }

        await using (var users = await connection.BeginBinaryImportAsync("COPY users (id, email, account_id) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < clients; i++)
            {
                await users.WriteRowAsync(default, (long)i + 1, $"client{i}@bench.invalid", ClientAccountBase + i);
            }

            await users.CompleteAsync();
        }

        await using (var tokens = await connection.BeginBinaryImportAsync("COPY oauth_access_tokens (token, scopes, resource_owner_id) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < clients; i++)
            {
                await tokens.WriteRowAsync(default, TokenFor(i), "read", (long)i + 1);
            }

            await tokens.CompleteAsync();
        }

        // Keep the id sequences ahead of the explicit ids, should anything insert later.
        await ExecuteAsync(connection, "SELECT setval('users_id_seq', (SELECT max(id) FROM users))");
        await ExecuteAsync(connection, "ANALYZE");
    }

    /// <summary>Adds the blocks, mutes and keyword filters that <paramref name="roles"/> ask for.</summary>
    public static async Task SeedRelationshipsAsync(PostgresTarget target, IReadOnlyList<ClientRole> roles)
    {
        await using var connection = new NpgsqlConnection(target.ConnectionString);
        await connection.OpenAsync();

        await using (var blocks = await connection.BeginBinaryImportAsync("COPY blocks (account_id, target_account_id) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < roles.Count; i++)
            {
                if (roles[i] == ClientRole.BlocksAuthor)
                {
                    await blocks.WriteRowAsync(default, ClientAccountBase + i, BlockedAuthorId);
                }
            }

            await blocks.CompleteAsync();
        }

        await using (var mutes = await connection.BeginBinaryImportAsync("COPY mutes (account_id, target_account_id) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < roles.Count; i++)
            {
                if (roles[i] == ClientRole.MutesAuthor)
                {
                    await mutes.WriteRowAsync(default, ClientAccountBase + i, MutedAuthorId);
                }
            }

            await mutes.CompleteAsync();
        }

        await using (var filters = await connection.BeginBinaryImportAsync("COPY custom_filters (id, account_id, phrase, context) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < roles.Count; i++)
            {
                if (roles[i] == ClientRole.KeywordFilter)
                {
                    await filters.StartRowAsync();
                    await filters.WriteAsync((long)i + 1, NpgsqlDbType.Bigint);
                    await filters.WriteAsync(ClientAccountBase + i, NpgsqlDbType.Bigint);
                    await filters.WriteAsync("bench filter", NpgsqlDbType.Text);
                    await filters.WriteAsync(new[] { "public" }, NpgsqlDbType.Array | NpgsqlDbType.Varchar);
                }
            }

            await filters.CompleteAsync();
        }

        await using (var keywords = await connection.BeginBinaryImportAsync("COPY custom_filter_keywords (custom_filter_id, keyword, whole_word) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < roles.Count; i++)
            {
                if (roles[i] == ClientRole.KeywordFilter)
                {
                    await keywords.WriteRowAsync(default, (long)i + 1, FilterKeyword, true);
                }
            }

            await keywords.CompleteAsync();
        }

        await ExecuteAsync(connection, "SELECT setval('custom_filters_id_seq', GREATEST((SELECT max(id) FROM custom_filters), 1))");
        await ExecuteAsync(connection, "ANALYZE");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
