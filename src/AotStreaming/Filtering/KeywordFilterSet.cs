using System.Buffers;
using System.Globalization;
using System.Text.Json;
using AotStreaming.Postgres;
using AotStreaming.Serialization;

namespace AotStreaming.Filtering;

/// <summary>
/// A viewer's keyword filters, built once from the load query and matched against each filterable status
/// (reference §6.7). Immutable, so one instance can be shared by every subscription of a connection.
/// </summary>
internal sealed class KeywordFilterSet
{
    private readonly KeywordFilter[] _filters;

    private KeywordFilterSet(KeywordFilter[] filters) => _filters = filters;

    public static KeywordFilterSet Empty { get; } = new([]);

    /// <summary>True when the viewer has no keyword filter at all (expired ones count as filters).</summary>
    public bool IsEmpty => _filters.Length == 0;

    public int Count => _filters.Length;

    public static KeywordFilterSet Build(IReadOnlyList<KeywordFilterRow> rows)
    {
        if (rows.Count == 0)
        {
            return Empty;
        }

        // Rows come one per keyword; the filter's own columns repeat. Keep keyword order as the rows give it.
        var groups = new SortedDictionary<long, (KeywordFilterRow First, List<(string, bool)> Keywords)>();
        foreach (var row in rows)
        {
            if (!groups.TryGetValue(row.FilterId, out var group))
            {
                group = (row, []);
                groups.Add(row.FilterId, group);
            }

            group.Keywords.Add((row.Keyword, row.WholeWord));
        }

        // Ascending id: the order of upstream's filter map (numeric-string keys iterate in numeric order).
        var filters = new KeywordFilter[groups.Count];
        var i = 0;
        foreach (var (id, (first, keywords)) in groups)
        {
            filters[i++] = new KeywordFilter(id, first.Title, first.Context, first.ExpiresAtUtc, first.Action, keywords);
        }

        return new KeywordFilterSet(filters);
    }

    /// <summary>
    /// The <c>filtered</c> array for a status whose searchable text is <paramref name="searchableText"/>, as UTF-8
    /// JSON, or null when no filter matches (the caller then writes <c>[]</c>).
    /// </summary>
    public byte[]? MatchToJson(string searchableText, DateTime utcNow)
    {
        if (_filters.Length == 0 || searchableText.Length == 0)
        {
            return null;
        }

        var canonical = RegexIgnoreCase.Canonicalize(searchableText);
        ArrayBufferWriter<byte>? buffer = null;
        Utf8JsonWriter? writer = null;
        foreach (var filter in _filters)
        {
            if (filter.ExpiresAtUtc is { } expires && expires < utcNow)
            {
                continue;
            }

            var start = filter.Match(searchableText, canonical, out var length);
            if (start < 0)
            {
                continue;
            }

            if (writer is null)
            {
                buffer = new ArrayBufferWriter<byte>(256);
                writer = new Utf8JsonWriter(buffer);
                writer.WriteStartArray();
            }

            WriteResult(writer, filter, searchableText.Substring(start, length));
        }

        if (writer is null)
        {
            return null;
        }

        writer.WriteEndArray();
        writer.Flush();
        writer.Dispose();
        return buffer!.WrittenSpan.ToArray();
    }

    private static void WriteResult(Utf8JsonWriter writer, KeywordFilter filter, string match)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("filter"u8);
        writer.WriteStartObject();
        writer.WriteString("id"u8, filter.Id.ToString(CultureInfo.InvariantCulture));
        writer.WritePropertyName("title"u8);
        WriteStringOrNull(writer, filter.Title);
        writer.WritePropertyName("context"u8);
        writer.WriteStartArray();
        foreach (var context in filter.Context)
        {
            WriteStringOrNull(writer, context);
        }

        writer.WriteEndArray();
        if (filter.ExpiresAtUtc is { } expires)
        {
            // JavaScript Date#toJSON: ISO 8601, UTC, milliseconds.
            writer.WriteString("expires_at"u8, expires.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull("expires_at"u8);
        }

        // Upstream maps 0 and 1 only and omits the key otherwise; 2 (blur, 4.4+) is emitted as the REST API does.
        var action = filter.Action switch
        {
            0 => "warn",
            1 => "hide",
            2 => "blur",
            _ => null,
        };
        if (action is not null)
        {
            writer.WriteString("filter_action"u8, action);
        }

        writer.WriteEndObject();
        writer.WritePropertyName("keyword_matches"u8);
        writer.WriteStartArray();
        JsonStringLiteral.Write(writer, match);
        writer.WriteEndArray();
        writer.WriteNull("status_matches"u8);
        writer.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            JsonStringLiteral.Write(writer, value);
        }
    }
}
