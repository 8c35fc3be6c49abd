namespace AotStreaming.Configuration;

/// <summary>
/// Reads a dotenv file (Mastodon's <c>.env.production</c>) the way the Node server's dotenv does:
/// <c>KEY=value</c> lines, optional <c>export </c>, <c>#</c> comments, single, double and back quotes,
/// and <c>\n</c> escapes inside double quotes.
/// </summary>
internal static class DotEnvFile
{
    public static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length > 0 && value[0] is '"' or '\'' or '`')
            {
                var quote = value[0];
                var body = value[1..];
                var end = ClosingQuote(body, quote);
                // A quoted value may span lines until its closing quote.
                while (end < 0 && i + 1 < lines.Length)
                {
                    body += "\n" + lines[++i];
                    end = ClosingQuote(body, quote);
                }

                value = end >= 0 ? body[..end] : body;
                if (quote == '"')
                {
                    value = value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", "\r", StringComparison.Ordinal);
                }
            }
            else
            {
                // dotenv's unquoted value is [^#\r\n]+: a '#' anywhere starts a comment (Ruby's dotenv agrees),
                // so `DB_PASS=ab#cd` is "ab" for Rails and the Node server alike.
                var hash = value.IndexOf('#', StringComparison.Ordinal);
                if (hash >= 0)
                {
                    value = value[..hash].TrimEnd();
                }
            }

            result[key] = value;
        }

        return result;
    }

    /// <summary>The closing quote, skipping backslash-escaped ones (dotenv's <c>"(?:\\"|[^"])*"</c>), or -1.</summary>
    private static int ClosingQuote(string body, char quote)
    {
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\\' && i + 1 < body.Length && body[i + 1] == quote)
            {
                i++;
            }
            else if (body[i] == quote)
            {
                return i;
            }
        }

        return -1;
    }
}
