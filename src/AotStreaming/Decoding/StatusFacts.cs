using System.Text.Json;

namespace AotStreaming.Decoding;

/// <summary>
/// The parts of a status payload the public/hashtag filters read (reference §6.3), parsed once per event.
/// </summary>
internal sealed class StatusFacts
{
    public required long AccountId { get; init; }

    public required bool IsLocal { get; init; }

    /// <summary>The part of <c>account.acct</c> after '@', or null for local accounts.</summary>
    public string? AccountDomain { get; init; }

    /// <summary>The author followed by every mentioned account.</summary>
    public required long[] TargetAccountIds { get; init; }

    /// <summary>True when the payload has a <c>language</c> member; <see cref="Language"/> is null for JSON null.</summary>
    public required string? Language { get; init; }

    /// <summary>The payload already carries its own <c>filtered</c> member: it passes unchanged.</summary>
    public required bool HasFiltered { get; init; }

    /// <summary>Parses the facts; throws <see cref="FormatException"/> or <see cref="JsonException"/> on a payload upstream would crash on.</summary>
    public static StatusFacts Parse(ReadOnlySpan<byte> payloadJson)
    {
        var reader = new Utf8JsonReader(payloadJson);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("status payload is not an object");
        }

        string? accountId = null, username = null, acct = null, language = null;
        var hasFiltered = false;
        var mentions = new List<long>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("account"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new FormatException("status account is not an object");
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("id"u8)) { reader.Read(); accountId = ReadScalar(ref reader); }
                    else if (reader.ValueTextEquals("username"u8)) { reader.Read(); username = ReadScalar(ref reader); }
                    else if (reader.ValueTextEquals("acct"u8)) { reader.Read(); acct = ReadScalar(ref reader); }
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else if (reader.ValueTextEquals("mentions"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new FormatException("status mentions is not an array");
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("id"u8))
                        {
                            reader.Read();
                            mentions.Add(ParseId(ReadScalar(ref reader)));
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }
                }
            }
            else if (reader.ValueTextEquals("language"u8))
            {
                reader.Read();
                language = reader.TokenType == JsonTokenType.Null ? null : ReadScalar(ref reader);
            }
            else if (reader.ValueTextEquals("filtered"u8))
            {
                hasFiltered = true;
                reader.Read();
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (accountId is null || acct is null)
        {
            throw new FormatException("status payload lacks account.id or account.acct");
        }

        var author = ParseId(accountId);
        var targets = new long[mentions.Count + 1];
        targets[0] = author;
        mentions.CopyTo(targets, 1);
        var at = acct.IndexOf('@', StringComparison.Ordinal);
        return new StatusFacts
        {
            AccountId = author,
            IsLocal = username == acct,
            AccountDomain = at >= 0 ? acct[(at + 1)..] : null,
            TargetAccountIds = targets,
            Language = language,
            HasFiltered = hasFiltered,
        };
    }

    private static string ReadScalar(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        _ => throw new FormatException("expected a string or number"),
    };

    private static long ParseId(string id) =>
        long.TryParse(id, out var v) ? v : throw new FormatException("account id is not a number");
}
