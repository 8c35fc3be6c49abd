namespace AotStreaming.Routing;

public sealed class HashtagNormalizerTests
{
    [Theory]
    [InlineData("Café", "cafe")]
    [InlineData("ＭａｓｔｏｄｏｎＦｕｌｌ", "mastodonfull")]
    [InlineData("#Foo-Bar", "foobar")]
    [InlineData("Straße", "straße")]
    [InlineData("İstanbul", "istanbul")]
    [InlineData("日本語", "日本語")]
    [InlineData("ÀÉÎÕÜ_x·y", "aeiou_x·y")]
    public void Normalize_UpstreamWorkedExample_MatchesUpstreamChannelName(string tag, string expected)
    {
        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal(expected, result);
    }

    [Fact]
    public void Normalize_DecomposedAccent_ComposesThenFolds()
    {
        var tag = "Cafe\u0301";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("cafe", result);
    }

    [Fact]
    public void Normalize_DecomposedVietnameseLetter_KeepsComposedLetter()
    {
        // NFKC composes e + circumflex + dot below into U+1EC7, which is a letter outside the folding table.
        var tag = "Vi\u0065\u0323\u0302t";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("vi\u1EC7t", result);
    }

    [Fact]
    public void Normalize_HangulJamo_ComposesSyllables()
    {
        var tag = "\u1112\u1161\u11AB\u1100\u1173\u11AF";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("한글", result);
    }

    [Fact]
    public void Normalize_FinalCapitalSigma_LowersToFinalFormLikeJavaScript()
    {
        var tag = "ΟΔΟΣ";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("οδος", result);
    }

    [Fact]
    public void Normalize_LigatureAndSuperscript_ExpandsCompatibilityForms()
    {
        var tag = "ﬁx²";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("fix2", result);
    }

    [Fact]
    public void Normalize_ZeroWidthNonJoinerAndEmoji_KeepsJoinerDropsEmoji()
    {
        var tag = "می\u200Cخواهم😀";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("می\u200Cخواهم", result);
    }

    [Fact]
    public void Normalize_SupplementaryLetter_IsKept()
    {
        var tag = "\U00020000x";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("\U00020000x", result);
    }

    [Fact]
    public void Normalize_OnlyStrippedCharacters_ReturnsEmpty()
    {
        var tag = "#-!";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("", result);
    }

    [Fact]
    public void Normalize_KatakanaMiddleDot_IsStripped()
    {
        var tag = "ア・イ";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("アイ", result);
    }

    [Fact]
    public void Normalize_HalfWidthKatakanaWithVoicedMark_ComposesToFullWidth()
    {
        var tag = "ｶﾞ";

        var result = HashtagNormalizer.Normalize(tag);

        Assert.Equal("ガ", result);
    }
}
