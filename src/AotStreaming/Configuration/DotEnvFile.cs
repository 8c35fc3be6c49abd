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
                var end = body.IndexOf(quote, StringComparison.Ordinal);
                // A quoted value may span lines until its closing quote.
                while (end < 0 && i + 1 < lines.Length)
                {
                    body += "\n" + lines[++i];
                    end = body.IndexOf(quote, StringComparison.Ordinal);
                }

                value = end >= 0 ? body[..end] : body;
                if (quote == '"')
                {
                    value = value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\r", "\r", StringComparison.Ordinal);
                }
            }
            else
            {
                var hash = value.IndexOf(" #", StringComparison.Ordinal);
                if (hash >= 0)
                {
                    value = value[..hash].TrimEnd();
                }
            }

            result[key] = value;
        }

        return result;
    }
}
