using System.Text;
using Xunit;

namespace AotStreaming.Endpoints;

public sealed class LoneSurrogateEscapesTests
{
    [Theory]
    [InlineData("""{"a":"plain"}""")]
    [InlineData("""{"a":"\ud83d\ude00"}""")]
    [InlineData("""{"a":"\\ud800"}""")]
    [InlineData("""{"a":"\u0041\n"}""")]
    [InlineData("""{"a":"\ud8"}""")]
    public void Replace_NothingToReplace_ReturnsNull(string json)
    {
        Assert.Null(LoneSurrogateEscapes.Replace(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("""{"a":"\ud800"}""", """{"a":"\uFFFD"}""")]
    [InlineData("""{"a":"\uDC00\ud800"}""", """{"a":"\uFFFD\uFFFD"}""")]
    [InlineData("""{"a":"\ud800\u0041"}""", """{"a":"\uFFFD\u0041"}""")]
    [InlineData("""{"a":"\\\ud800"}""", """{"a":"\\\uFFFD"}""")]
    [InlineData("""{"\udbff":"x\ud83d\ude00\ud83d"}""", """{"\uFFFD":"x\ud83d\ude00\uFFFD"}""")]
    [InlineData("\\ud800", "\\uFFFD")]
    public void Replace_LoneSurrogates_ReplacedInPlaceOfTheirEscape(string json, string expected)
    {
        var replaced = LoneSurrogateEscapes.Replace(Encoding.UTF8.GetBytes(json));

        Assert.Equal(expected, Encoding.UTF8.GetString(replaced!));
    }
}
