using Npgsql;

namespace AotStreaming.Testing;

/// <summary>
/// A fresh PostgreSQL database holding the Mastodon tables the server reads (Database/mastodon-schema.sql),
/// with helpers that insert the rows of reference §10.13. Each test seeds its own accounts.
/// </summary>
public sealed class MastodonDatabase : IAsyncDisposable
{
    private static long s_nextId = 1000 + (Random.Shared.Next(1, 1000) * 1000L);

    private MastodonDatabase(string name, NpgsqlDataSource dataSource)
    {
        Name = name;
        DataSource = dataSource;
    }

    public string Name { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<MastodonDatabase> CreateAsync()
    {
        var name = "aot_it_" + Guid.NewGuid().ToString("N")[..12];
        var server = TestEnvironment.PostgresServer;
        server.Database = "postgres";
        try
        {
            await using var admin = new NpgsqlConnection(server.ConnectionString);
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException($"PostgreSQL at {server.Host}:{server.Port} is not reachable. {TestEnvironment.SetupHint}", ex);
        }

        var builder = TestEnvironment.PostgresServer;
        builder.Database = name;
        builder.Pooling = true;
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var schema = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Database", "mastodon-schema.sql"));
        await using (var command = dataSource.CreateCommand(schema))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new MastodonDatabase(name, dataSource);
    }

    public static long NextId() => Interlocked.Increment(ref s_nextId);

    /// <summary>An account, its user and an access token; returns ids and the token text.</summary>
    public async Task<TestUser> CreateUserAsync(
        string scopes = "read", string? username = null, string? domain = null, string[]? chosenLanguages = null, long? rolePermissions = null)
    {
        var accountId = NextId();
        username ??= "user" + accountId;
        long? roleId = null;
        if (rolePermissions is { } permissions)
        {
            roleId = (long)(await ScalarAsync("INSERT INTO user_roles (name, permissions) VALUES ('role', $1) RETURNING id", permissions))!;
        }

        await ExecuteAsync("INSERT INTO accounts (id, username, domain) VALUES ($1, $2, $3)", accountId, username, (object?)domain ?? DBNull.Value);
        var userId = (long)(await ScalarAsync(
            "INSERT INTO users (email, account_id, chosen_languages, role_id) VALUES ($1, $2, $3, $4) RETURNING id",
            $"{username}-{accountId}@example.test", accountId, (object?)chosenLanguages ?? DBNull.Value, (object?)roleId ?? DBNull.Value))!;
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var tokenId = (long)(await ScalarAsync(
            "INSERT INTO oauth_access_tokens (token, scopes, resource_owner_id) VALUES ($1, $2, $3) RETURNING id", token, scopes, userId))!;
        return new TestUser(accountId, userId, tokenId, token, username);
    }

    /// <summary>A remote account (no user), e.g. a status author on another domain.</summary>
    public async Task<long> CreateRemoteAccountAsync(string username, string domain)
    {
        var id = NextId();
        await ExecuteAsync("INSERT INTO accounts (id, username, domain) VALUES ($1, $2, $3)", id, username, domain);
        return id;
    }

    public Task ExecuteAsync(string sql, params object?[] parameters) => RunAsync(sql, parameters, scalar: false);

    public async Task<object?> ScalarAsync(string sql, params object?[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteScalarAsync();
    }

    private async Task RunAsync(string sql, object?[] parameters, bool scalar)
    {
        await using var command = Command(sql, parameters);
        _ = scalar ? await command.ExecuteScalarAsync() : await command.ExecuteNonQueryAsync();
    }

    private NpgsqlCommand Command(string sql, object?[] parameters)
    {
        var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        try
        {
            var server = TestEnvironment.PostgresServer;
            server.Database = "postgres";
            await using var admin = new NpgsqlConnection(server.ConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover test database is harmless.
        }
    }
}

public sealed record TestUser(long AccountId, long UserId, long TokenId, string Token, string Username);
