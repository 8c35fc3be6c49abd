using System.Text;
using System.Text.Json;

namespace AotStreaming.Filtering;

public sealed class SearchableTextTests
{
    private static string Extract(string json) => SearchableText.Extract(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Extract_SpoilerContentPollAndMedia_JoinsWithBlankLines()
    {
        var json = """
            {"id":"1","spoiler_text":"cw","content":"<p>body</p>","poll":{"id":"9","options":[{"title":"yes","votes_count":0},{"title":"no"}]},
             "media_attachments":[{"description":"a cat"},{"description":null}]}
            """;

        var text = Extract(json);

        Assert.Equal("cw\n\nbody\n\nyes\n\nno\n\na cat\n\n", text);
    }

    [Fact]
    public void Extract_NullSpoilerAndNoPoll_StartsWithBlankLine()
    {
        var json = """{"spoiler_text":null,"content":"hi","poll":null,"media_attachments":[]}""";

        var text = Extract(json);

        Assert.Equal("\n\nhi", text);
    }

    [Fact]
    public void Extract_LineAndParagraphBreaks_BecomeNewlines()
    {
        var json = """{"spoiler_text":"","content":"<p>a<br>b<br />c<br/>d</p><p>e<BR>f</p>"}""";

        var text = Extract(json);

        Assert.Equal("\n\na\nb\nc\nd\n\nef", text);
    }

    [Fact]
    public void Extract_Entities_AreDecoded()
    {
        var json = """{"content":"<p>&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; &apos;a&apos; x&nbsp;y &#x1F600; &#128512; &hellip; &amp &#150;</p>"}""";

        var text = Extract(json);

        Assert.Equal("\n\n<tag> & \"q\" 's' 'a' x\u00A0y 😀 😀 … & \u2013", text);
    }

    [Fact]
    public void Extract_UnknownOrIncompleteReferences_StayLiteral()
    {
        var json = """{"content":"&bogus; &# & fish &#xZ"}""";

        var text = Extract(json);

        Assert.Equal("\n\n&bogus; &# & fish &#xZ", text);
    }

    [Fact]
    public void Extract_TagsAttributesAndComments_AreDropped()
    {
        var json = """{"content":"<p>see <a href=\"https://x.example/?a=1&b=2\" title='x > y' class=\"u-url\">link</a><!-- hidden --> done</p>"}""";

        var text = Extract(json);

        Assert.Equal("\n\nsee link done", text);
    }

    [Fact]
    public void Extract_ScriptAndStyle_KeepTheirTextVerbatim()
    {
        var json = """{"content":"<script>if (a < b && c) x();</script><style>p > a {}</style>"}""";

        var text = Extract(json);

        Assert.Equal("\n\nif (a < b && c) x();p > a {}", text);
    }

    [Fact]
    public void Extract_TemplateContents_AreLeftOut()
    {
        var json = """{"content":"a<template>hidden</template>b"}""";

        var text = Extract(json);

        Assert.Equal("\n\nab", text);
    }

    [Fact]
    public void Extract_LessThanNotStartingTag_StaysText()
    {
        var json = """{"spoiler_text":"I <3 you < 5","content":""}""";

        var text = Extract(json);

        Assert.Equal("I <3 you < 5\n\n", text);
    }

    [Fact]
    public void Extract_PlainTextLookingLikeTag_IsTreatedAsHtmlLikeUpstream()
    {
        var json = """{"spoiler_text":"a<b c","content":"d"}""";

        var text = Extract(json);

        Assert.Equal("a", text);
    }

    [Fact]
    public void Extract_LoneSurrogateEscape_IsKept()
    {
        var json = """{"content":"x\ud83dy"}""";

        var text = Extract(json);

        Assert.Equal("\n\nx\ud83dy", text);
    }

    [Fact]
    public void Extract_DuplicateKey_LastWins()
    {
        var json = """{"content":"first","content":"second"}""";

        var text = Extract(json);

        Assert.Equal("\n\nsecond", text);
    }

    [Theory]
    [InlineData("{\"content\":")]
    [InlineData("[1,2]")]
    [InlineData("{\"content\":\"x\"} trailing")]
    [InlineData("")]
    public void Extract_MalformedJson_ThrowsJsonException(string json)
    {
        var act = () => Extract(json);

        Assert.ThrowsAny<JsonException>(act);
    }
}
