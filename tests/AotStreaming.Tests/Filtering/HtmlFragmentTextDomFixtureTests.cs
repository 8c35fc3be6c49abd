using System.Text.Json;

namespace AotStreaming.Filtering;

/// <summary>
/// <see cref="HtmlFragmentText"/> and <see cref="SearchableText"/> against text produced by a real DOM: JSDOM's
/// <c>textContent</c> of each input parsed as a fragment, as upstream's keyword filter reads statuses. The fixtures
/// come from tools/html/generate_text_fixtures.mjs (jsdom installed outside the repository, run once).
/// </summary>
public sealed class HtmlFragmentTextDomFixtureTests
{
    private static readonly Lazy<List<Fixture>> s_fixtures = new(Load);

    [Fact]
    public void ToText_EveryMarkupFixture_MatchesJsdomTextContent()
    {
        var failures = Compare(s_fixtures.Value.Where(f => !f.IsSingleReference), f => HtmlFragmentText.ToText(f.Html), f => f.Text);

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void ToText_EveryHtml5NamedReference_MatchesJsdomTextContent()
    {
        var references = s_fixtures.Value.Where(f => f.IsSingleReference).ToList();

        var failures = Compare(references, f => HtmlFragmentText.ToText(f.Html), f => f.Text);

        Assert.Equal(HtmlNamedReferences.Count, references.Count);
        Assert.True(failures.Count == 0, $"{failures.Count} of {references.Count} differ:\n{string.Join("\n", failures.Take(40))}");
    }

    [Fact]
    public void Extract_StatusContentFixture_MatchesUpstreamSearchableText()
    {
        var failures = Compare(s_fixtures.Value, f => SearchableText.Extract(ContentOnlyStatus(f.Html)), f => f.Searchable);

        Assert.True(failures.Count == 0, $"{failures.Count} differ:\n{string.Join("\n", failures.Take(40))}");
    }

    private static List<string> Compare(IEnumerable<Fixture> fixtures, Func<Fixture, string> actual, Func<Fixture, string> expected)
    {
        var failures = new List<string>();
        foreach (var fixture in fixtures)
        {
            var got = actual(fixture);
            if (!string.Equals(got, expected(fixture), StringComparison.Ordinal))
            {
                failures.Add($"{JsonSerializer.Serialize(fixture.Html)}: got {JsonSerializer.Serialize(got)}, DOM gives {JsonSerializer.Serialize(expected(fixture))}");
            }
        }

        return failures;
    }

    private static byte[] ContentOnlyStatus(string html)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", "1");
            writer.WriteString("content", html);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static List<Fixture> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Filtering", "TestData", "html-fragment-text.json");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var fixtures = document.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new Fixture(c.GetProperty("html").GetString()!, c.GetProperty("text").GetString()!, c.GetProperty("searchable").GetString()!))
            .ToList();
        Assert.True(fixtures.Count > 2_000, $"only {fixtures.Count} fixtures");
        return fixtures;
    }

    private sealed record Fixture(string Html, string Text, string Searchable)
    {
        // The generator adds "[&name;]" once per HTML5 name after the hand-written markup cases.
        public bool IsSingleReference => Html.StartsWith("[&", StringComparison.Ordinal) && Html.EndsWith(";]", StringComparison.Ordinal);
    }
}
