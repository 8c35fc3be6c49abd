using System.Text;
using System.Text.Json;
using AotStreaming.Serialization;

namespace AotStreaming.Tests.Serialization;

public sealed class JsonStringReaderTests
{
    [Theory]
    [InlineData("\"plain\"", "plain")]
    [InlineData("\"q\\\"b\\\\s\\/\"", "q\"b\\s/")]
    [InlineData("\"\\n\\r\\t\\b\\f\"", "\n\r\t\b\f")]
    [InlineData("\"\\u00e9\\ud83d\\ude00\"", "é😀")]
    public void ReadKeepingLoneSurrogates_WellFormed_SameAsGetString(string json, string expected)
    {
        Assert.Equal(expected, Read(json));
    }

    [Fact]
    public void ReadKeepingLoneSurrogates_LoneSurrogateEscape_KeptAsJsonParseKeepsIt()
    {
        // In code, not [InlineData]: xunit's attribute data turns lone surrogates into U+FFFD before the test runs.
        Assert.Equal("\ud83d", Read("\"\\ud83d\""));
        Assert.Equal("a\udc00b\n", Read("\"a\\udc00b\\n\""));
        Assert.Equal("\ude00\ud83d", Read("\"\\ude00\\ud83d\""));
    }

    private static string Read(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        Assert.True(reader.Read());
        return JsonStringReader.ReadKeepingLoneSurrogates(ref reader);
    }
}
