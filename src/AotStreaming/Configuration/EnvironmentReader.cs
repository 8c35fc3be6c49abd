using System.Globalization;

namespace AotStreaming.Configuration;

/// <summary>
/// The merged view of the process environment and the dotenv file: process variables win,
/// as dotenv never overrides a variable that is already set.
/// </summary>
internal sealed class EnvironmentReader(IReadOnlyDictionary<string, string> variables)
{
    private readonly List<string> _problems = [];

    /// <summary>Every bad value met so far, one line each; resolution goes on past them so all are reported.</summary>
    public IReadOnlyList<string> Problems => _problems;

    public void Report(string problem) => _problems.Add(problem);

    /// <summary>A value, with the empty string kept (the Node server uses <c>??</c> for some variables).</summary>
    public string? Raw(string name) => variables.TryGetValue(name, out var v) ? v : null;

    /// <summary>A value, with unset and empty both meaning "not given" (<c>||</c> in the Node server).</summary>
    public string? NonEmpty(string name) => variables.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    /// <summary>
    /// An integer the way the Node server's <c>parseIntFromEnvValue</c> reads it: unset or empty gives the default,
    /// leading digits are taken (<c>"12abc"</c> is 12), anything else is reported naming the variable (and the
    /// default stands in, so resolution can go on to find any other problem).
    /// </summary>
    public int Int(string name, int defaultValue)
    {
        var value = NonEmpty(name);
        if (value is null)
        {
            return defaultValue;
        }

        var span = value.AsSpan().Trim();
        var end = 0;
        if (end < span.Length && span[end] is '-' or '+')
        {
            end++;
        }

        while (end < span.Length && char.IsAsciiDigit(span[end]))
        {
            end++;
        }

        if (!int.TryParse(span[..end], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            Report($"Invalid {name} environment variable: {value}");
            return defaultValue;
        }

        return parsed;
    }

    public static EnvironmentReader FromProcess(IReadOnlyDictionary<string, string>? dotEnv, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        if (dotEnv is not null)
        {
            foreach (var (k, v) in dotEnv)
            {
                merged[k] = v;
            }
        }

        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            merged[(string)e.Key] = (string?)e.Value ?? "";
        }

        if (overrides is not null)
        {
            foreach (var (k, v) in overrides)
            {
                merged[k] = v;
            }
        }

        return new EnvironmentReader(merged);
    }
}
