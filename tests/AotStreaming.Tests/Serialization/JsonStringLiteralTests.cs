using System.Buffers;
using System.Text;
using System.Text.Json;
using AotStreaming.Serialization;

namespace AotStreaming.Tests.Serialization;

public sealed class JsonStringLiteralTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("", "\"\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("back\\slash", "\"back\\\\slash\"")]
    [InlineData("a/b", "\"a/b\"")]
    [InlineData("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"")]
    [InlineData("\u0000\u0001\u001f", "\"\\u0000\\u0001\\u001f\"")]
    // JSON.stringify leaves DEL, HTML-significant characters, non-ASCII and emoji literal.
    [InlineData("\u007f<&>'", "\"\u007f<&>'\"")]
    [InlineData("café ☃ 😀 \u2028", "\"café ☃ 😀 \u2028\"")]
    public void Encode_EscapesOnlyQuotesBackslashesAndControlCharacters(string value, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(JsonStringLiteral.Encode(value)));
    }

    [Fact]
    public void Encode_LoneSurrogate_BecomesReplacementCharacter()
    {
        // In code, not [InlineData]: xunit's attribute data turns lone surrogates into U+FFFD before the test runs.
        Assert.Equal("\"\ufffd\"", Encoding.UTF8.GetString(JsonStringLiteral.Encode("\ud800")));
        Assert.Equal("\"a\ufffdb\"", Encoding.UTF8.GetString(JsonStringLiteral.Encode("a\udfffb")));
        Assert.Equal("\"\ufffd\ufffd\"", Encoding.UTF8.GetString(JsonStringLiteral.Encode("\ude00\ud83d")));
        Assert.Equal("\"\ud83d\ude00\"", Encoding.UTF8.GetString(JsonStringLiteral.Encode("\ud83d\ude00")));
    }

    [Fact]
    public void Write_ToUtf8JsonWriter_SameTextAsEncode_AmongOtherValues()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            JsonStringLiteral.Write(writer, "😀 \"q\"\n");
            JsonStringLiteral.Write(writer, "lone \ud83d");
            writer.WriteEndArray();
        }

        Assert.Equal("[\"😀 \\\"q\\\"\\n\",\"lone \ufffd\"]", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Write_Utf8Bytes_LongInputWithManyEscapes_CrossesBufferGrowth()
    {
        // Every byte a control character: the output is six times the input, far past the first GetSpan.
        var input = new string('\u0001', 5_000) + "end";
        var buffer = new ArrayBufferWriter<byte>(1);

        JsonStringLiteral.Write(buffer, Encoding.UTF8.GetBytes(input));

        Assert.Equal(input, JsonSerializer.Deserialize<string>(buffer.WrittenSpan));
        Assert.Equal(2 + (5_000 * 6) + 3, buffer.WrittenCount);
    }

    [Fact]
    public void Write_Utf8Bytes_MultiByteSequencesPassThroughUnchanged()
    {
        var utf8 = Encoding.UTF8.GetBytes("ü€😀\ufffd");
        var buffer = new ArrayBufferWriter<byte>();

        JsonStringLiteral.Write(buffer, utf8);

        Assert.Equal([(byte)'"', .. utf8, (byte)'"'], buffer.WrittenSpan.ToArray());
    }

    /// <summary>The two halves frames are written with: the length first, then the bytes, for every ASCII byte.</summary>
    [Fact]
    public void EscapedLength_IsWhatWriteEscapedWrites_AndMatchesEncode()
    {
        var ascii = Enumerable.Range(0, 128).Select(b => (byte)b).ToArray();
        var input = (byte[])[.. ascii, .. Encoding.UTF8.GetBytes("ü€😀"), .. ascii];
        var destination = new byte[JsonStringLiteral.EscapedLength(input)];

        var written = JsonStringLiteral.WriteEscaped(destination, input);

        Assert.Equal(destination.Length, written);
        var buffer = new ArrayBufferWriter<byte>();
        JsonStringLiteral.Write(buffer, input);
        Assert.Equal(buffer.WrittenSpan[1..^1].ToArray(), destination);
        Assert.Equal(Encoding.UTF8.GetString(input), JsonSerializer.Deserialize<string>(buffer.WrittenSpan));
    }
}
