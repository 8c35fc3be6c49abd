using Npgsql;

namespace AotStreaming.Benchmarks;

/// <summary>Where the bench database lives, as the server's DB_* variables need it.</summary>
internal sealed record PostgresTarget(string Host, int Port, string Username, string? Password, string Database)
{
    public static PostgresTarget From(string connectionString, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return new PostgresTarget(builder.Host ?? "127.0.0.1", builder.Port, builder.Username ?? "postgres", builder.Password, database);
    }

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = Username,
        Password = Password,
        Database = Database,
        Pooling = false,
    }.ConnectionString;
}
