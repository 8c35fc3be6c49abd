using System.Globalization;
using System.Text;

namespace AotStreaming.Routing;

/// <summary>
/// <see cref="UnicodeNfkc"/> (the normalisation <see cref="HashtagNormalizer"/> applies first) against Unicode's own
/// conformance file, NormalizationTest.txt, of the same version its tables were generated from (Debian package
/// unicode-data, shipped here unchanged under TestData/ with its licence header).
/// </summary>
public sealed class UnicodeNfkcConformanceTests
{
    private static readonly string TestFile = Path.Combine(AppContext.BaseDirectory, "Routing", "TestData", "NormalizationTest.txt");

    [Fact]
    public void TestFile_Version_MatchesGeneratedTables()
    {
        var header = File.ReadLines(TestFile).First();

        Assert.Equal($"# NormalizationTest-{HashtagUnicodeData.UnicodeVersion}.txt", header);
    }

    [Fact]
    public void Normalize_EveryTestLine_SatisfiesNfkcInvariant()
    {
        // c4 == toNFKC(c1) == toNFKC(c2) == toNFKC(c3) == toNFKC(c4) == toNFKC(c5)
        var failures = new List<string>();
        var lines = 0;

        foreach (var (lineNumber, columns) in TestLines())
        {
            lines++;
            var expected = columns[3];
            for (var c = 0; c < 5; c++)
            {
                var actual = UnicodeNfkc.Normalize(columns[c]);
                if (!string.Equals(actual, expected, StringComparison.Ordinal))
                {
                    failures.Add($"line {lineNumber}: NFKC(c{c + 1} = {Hex(columns[c])}) = {Hex(actual)}, expected {Hex(expected)}");
                }
            }
        }

        Assert.True(lines > 19_000, $"only {lines} test lines read");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(50))}");
    }

    [Fact]
    public void Normalize_EveryCodePointNotInPart1_IsUnchanged()
    {
        // Part 2 of the conformance clause: X == toNFKC(X) for every code point Part 1 does not list.
        var listed = new HashSet<int>();
        foreach (var (_, columns) in TestLines(part: 1))
        {
            listed.Add(char.ConvertToUtf32(columns[0], 0));
        }

        var failures = new List<string>();
        for (var cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF || listed.Contains(cp))
            {
                continue;
            }

            var text = char.ConvertFromUtf32(cp);
            var actual = UnicodeNfkc.Normalize(text);
            if (!string.Equals(actual, text, StringComparison.Ordinal))
            {
                failures.Add($"NFKC({Hex(text)}) = {Hex(actual)}");
            }
        }

        Assert.True(listed.Count > 17_000, $"only {listed.Count} Part 1 code points read");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures.Take(50))}");
    }

    private static IEnumerable<(int Line, string[] Columns)> TestLines(int? part = null)
    {
        var lineNumber = 0;
        var currentPart = -1;
        foreach (var raw in File.ReadLines(TestFile))
        {
            lineNumber++;
            var line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("@Part", StringComparison.Ordinal))
            {
                currentPart = int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
                continue;
            }

            if (part is not null && currentPart != part)
            {
                continue;
            }

            var fields = line.Split(';');
            var columns = new string[5];
            for (var i = 0; i < 5; i++)
            {
                var sb = new StringBuilder();
                foreach (var hex in fields[i].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    sb.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                }

                columns[i] = sb.ToString();
            }

            yield return (lineNumber, columns);
        }
    }

    private static string Hex(string text)
    {
        var parts = new List<string>();
        for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            parts.Add(char.ConvertToUtf32(text, i).ToString("X4", CultureInfo.InvariantCulture));
        }

        return string.Join(' ', parts);
    }
}
