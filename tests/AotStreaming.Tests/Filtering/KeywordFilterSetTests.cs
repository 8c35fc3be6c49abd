using System.Text;
using AotStreaming.Postgres;

namespace AotStreaming.Filtering;

public sealed class KeywordFilterSetTests
{
    private static readonly DateTime s_now = new(2025, 6, 1, 12, 0, 0, DateTimeKind.Utc);

    private static KeywordFilterRow Row(long id, string keyword, bool wholeWord = false, int action = 0, DateTime? expires = null, string title = "t") =>
        new(id, title, ["home", "public"], expires, action, keyword, wholeWord);

    private static string? Match(KeywordFilterSet set, string text)
    {
        var json = set.MatchToJson(text, s_now);
        return json is null ? null : Encoding.UTF8.GetString(json);
    }

    [Fact]
    public void MatchToJson_KeywordInText_ReturnsUpstreamShape()
    {
        var set = KeywordFilterSet.Build([Row(12, "cat")]);

        var json = Match(set, "A Cat sat");

        Assert.Equal(
            """[{"filter":{"id":"12","title":"t","context":["home","public"],"expires_at":null,"filter_action":"warn"},"keyword_matches":["Cat"],"status_matches":null}]""",
            json);
    }

    [Fact]
    public void MatchToJson_NoKeywordInText_ReturnsNull()
    {
        var set = KeywordFilterSet.Build([Row(1, "dog")]);

        var json = Match(set, "A cat sat");

        Assert.Null(json);
    }

    [Fact]
    public void MatchToJson_EmptyText_ReturnsNull()
    {
        var set = KeywordFilterSet.Build([Row(1, "")]);

        var json = Match(set, "");

        Assert.Null(json);
    }

    [Theory]
    [InlineData(1, "hide")]
    [InlineData(2, "blur")]
    public void MatchToJson_Action_MapsToName(int action, string expected)
    {
        var set = KeywordFilterSet.Build([Row(1, "cat", action: action)]);

        var json = Match(set, "cat");

        Assert.Contains($"\"filter_action\":\"{expected}\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_UnknownAction_OmitsFilterActionLikeUpstream()
    {
        var set = KeywordFilterSet.Build([Row(1, "cat", action: 7)]);

        var json = Match(set, "cat");

        Assert.DoesNotContain("filter_action", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_ExpiresInFuture_FormatsIsoWithMilliseconds()
    {
        var expires = new DateTime(2025, 7, 1, 8, 30, 5, 123, DateTimeKind.Unspecified).AddTicks(4567);
        var set = KeywordFilterSet.Build([Row(1, "cat", expires: expires)]);

        var json = Match(set, "cat");

        Assert.Contains("\"expires_at\":\"2025-07-01T08:30:05.123Z\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_ExpiredFilter_IsSkipped()
    {
        var set = KeywordFilterSet.Build([Row(1, "cat", expires: s_now.AddSeconds(-1))]);

        var json = Match(set, "cat");

        Assert.Null(json);
    }

    [Fact]
    public void MatchToJson_SeveralFilters_ResultsInAscendingIdOrder()
    {
        var set = KeywordFilterSet.Build([Row(30, "sat", title: "c"), Row(4, "cat", title: "a"), Row(10, "mat", title: "b")]);

        var json = Match(set, "cat sat mat");

        Assert.Matches("^\\[\\{\"filter\":\\{\"id\":\"4\".*\"id\":\"10\".*\"id\":\"30\"", json);
    }

    [Fact]
    public void MatchToJson_SeveralKeywords_ReportsLeftmostMatchAsWritten()
    {
        var set = KeywordFilterSet.Build([Row(1, "sat"), Row(1, "CAT")]);

        var json = Match(set, "the cat sat");

        Assert.Contains("\"keyword_matches\":[\"cat\"]", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_TwoKeywordsAtSamePosition_EarlierKeywordWins()
    {
        var set = KeywordFilterSet.Build([Row(1, "ca"), Row(1, "cat")]);

        var json = Match(set, "cats");

        Assert.Contains("\"keyword_matches\":[\"ca\"]", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("the cat sat", true)]
    [InlineData("concatenate", false)]
    [InlineData("cat_food", false)]
    [InlineData("(cat)", true)]
    [InlineData("caté", true)]
    public void MatchToJson_WholeWord_UsesAsciiWordBoundaries(string text, bool expected)
    {
        var set = KeywordFilterSet.Build([Row(1, "cat", wholeWord: true)]);

        var json = Match(set, text);

        Assert.Equal(expected, json is not null);
    }

    [Fact]
    public void MatchToJson_WholeWordFirstOccurrenceInsideWord_FindsLaterWholeWord()
    {
        var set = KeywordFilterSet.Build([Row(1, "cat", wholeWord: true)]);

        var json = Match(set, "concat CAT");

        Assert.Contains("\"keyword_matches\":[\"CAT\"]", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_WholeWordKeywordEndingInPunctuation_HasNoTrailingBoundary()
    {
        var set = KeywordFilterSet.Build([Row(1, "c++", wholeWord: true)]);

        var json = Match(set, "I like c++11");

        Assert.Contains("\"keyword_matches\":[\"c++\"]", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_RegexMetacharacters_MatchLiterally()
    {
        var set = KeywordFilterSet.Build([Row(1, "a.b*(c)|[d]$^\\")]);

        var json = Match(set, "xx a.b*(c)|[d]$^\\ yy");

        Assert.NotNull(json);
        Assert.Null(Match(set, "aXbbc"));
    }

    [Fact]
    public void MatchToJson_NonAsciiKeyword_MatchesCaseInsensitively()
    {
        var set = KeywordFilterSet.Build([Row(1, "ÉTÉ")]);

        var json = Match(set, "un été chaud");

        Assert.Contains("\"keyword_matches\":[\"été\"]", json, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchToJson_KelvinSign_DoesNotMatchAsciiKLikeJavaScript()
    {
        var set = KeywordFilterSet.Build([Row(1, "k")]);

        var json = Match(set, "\u212A");

        Assert.Null(json);
    }

    [Fact]
    public void MatchToJson_NonAsciiAndQuotesInOutput_OnlyJsonEscapesApplied()
    {
        var set = KeywordFilterSet.Build([Row(1, "😀 \"é\"", title: "<b>&'日本'</b>\n")]);

        var json = Match(set, "x 😀 \"é\" y");

        Assert.Equal(
            "[{\"filter\":{\"id\":\"1\",\"title\":\"<b>&'日本'</b>\\n\",\"context\":[\"home\",\"public\"],\"expires_at\":null,\"filter_action\":\"warn\"},\"keyword_matches\":[\"😀 \\\"é\\\"\"],\"status_matches\":null}]",
            json);
    }

    [Fact]
    public void Build_NoRows_IsEmpty()
    {
        var set = KeywordFilterSet.Build([]);

        var isEmpty = set.IsEmpty;

        Assert.True(isEmpty);
        Assert.True(KeywordFilterSet.Empty.IsEmpty);
    }

    [Fact]
    public void Build_OnlyExpiredFilters_IsNotEmpty()
    {
        var set = KeywordFilterSet.Build([Row(1, "cat", expires: s_now.AddDays(-1))]);

        var isEmpty = set.IsEmpty;

        Assert.False(isEmpty);
    }
}
