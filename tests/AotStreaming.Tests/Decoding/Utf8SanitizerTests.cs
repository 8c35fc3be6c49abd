using System.Text;

namespace AotStreaming.Decoding;

/// <summary>
/// The WHATWG Encoding Standard's UTF-8 decoder (what Node's Buffer.toString does): every maximal subpart of an
/// ill-formed sequence becomes exactly one U+FFFD. Vectors from Unicode §3.9 (Table 3-8 and the examples after it)
/// and the WHATWG decoder's rules for lead bytes, continuation ranges and truncation.
/// </summary>
public sealed class Utf8SanitizerTests
{
    private const string R = "\uFFFD";

    [Theory]
    // Lone bytes that never start a sequence: each one is its own subpart.
    [InlineData("31 FF", "1" + R)]
    [InlineData("80", R)]
    [InlineData("BF 80", R + R)]
    [InlineData("FE FF", R + R)]
    // Overlong forms: C0/C1 and F5..FF are never leads; E0 and F0 restrict their first continuation byte.
    [InlineData("C0 AF", R + R)]
    [InlineData("C1 BF", R + R)]
    [InlineData("E0 80 AF", R + R + R)]
    [InlineData("F0 80 80 AF", R + R + R + R)]
    // Surrogates encoded in UTF-8 (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..).
    [InlineData("ED A0 80", R + R + R)]
    [InlineData("ED BF BF", R + R + R)]
    [InlineData("ED A0 80 ED B0 80", R + R + R + R + R + R)]
    [InlineData("F4 90 80 80", R + R + R + R)]
    [InlineData("F5 80 80 80", R + R + R + R)]
    // Truncated sequences: the valid prefix is one subpart, however long.
    [InlineData("E2 82", R)]
    [InlineData("E2 82 41", R + "A")]
    [InlineData("F0 9F 98", R)]
    [InlineData("F0 9F 98 22", R + "\"")]
    [InlineData("E2 28 A1", R + "(" + R)]
    // Unicode §3.9, Table 3-8's example.
    [InlineData("61 F1 80 80 E1 80 C2 62 80 63 80 BF 64", "a" + R + R + R + "b" + R + "c" + R + R + "d")]
    // Valid neighbours are kept byte for byte.
    [InlineData("F0 9F 98 80 FF E2 82 AC", "\U0001F600" + R + "€")]
    public void Sanitize_IllFormed_EachMaximalSubpartBecomesOneReplacementCharacter(string hex, string expected)
    {
        var sanitized = Utf8Sanitizer.Sanitize(Convert.FromHexString(hex.Replace(" ", "")));

        Assert.Equal(expected, Encoding.UTF8.GetString(sanitized));
        Assert.True(System.Text.Unicode.Utf8.IsValid(sanitized));
    }

    [Fact]
    public void Sanitize_ValidMessage_ReturnsTheSameArray()
    {
        var message = Encoding.UTF8.GetBytes("""{"event":"update","payload":{"content":"héllo 😀 €"}}""");

        Assert.Same(message, Utf8Sanitizer.Sanitize(message));
    }

    [Fact]
    public void Sanitize_RandomBytes_MatchesTheRuntimeReplacementDecoder()
    {
        // .NET's UTF8Encoding implements the same best-practice replacement since .NET Core 3.0: a second,
        // independent implementation to compare against over many shapes.
        var random = new Random(20261204);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(1, 12)];
            random.NextBytes(bytes);
            for (var j = 0; j < bytes.Length; j++)
            {
                // Bias towards the interesting region (continuations and leads) rather than ASCII.
                if (random.Next(3) != 0)
                {
                    bytes[j] = (byte)(0x80 | bytes[j]);
                }
            }

            var expected = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes));

            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Utf8Sanitizer.Sanitize(bytes)));
        }
    }
}
