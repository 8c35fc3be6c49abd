using System.Reflection;
using System.Text.RegularExpressions;

namespace AotStreaming.Diagnostics;

/// <summary>Log event ids come from <see cref="EventIds"/>, one meaning each, inside their stage's range.</summary>
public sealed partial class EventIdsTests
{
    /// <summary>The range of each folder that logs (EventIds' summary).</summary>
    private static readonly Dictionary<string, int> s_rangeOfFolder = new(StringComparer.Ordinal)
    {
        ["Ingress"] = 100,
        ["Decoding"] = 200,
        ["Routing"] = 200,
        ["Dispatch"] = 300,
        ["Filtering"] = 300,
        ["Delivery"] = 300,
        ["Endpoints"] = 400,
        ["Auth"] = 500,
        ["Postgres"] = 500,
        ["Hosting"] = 900,
    };

    [Fact]
    public void EventIds_AreUnique()
    {
        var ids = Registry();

        var duplicates = ids.GroupBy(i => i.Value).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(i => i.Key))}").ToList();

        Assert.NotEmpty(ids);
        Assert.True(duplicates.Count == 0, "Event ids used twice: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void LogMessages_UseEventIds_InTheirFoldersRange()
    {
        var registry = Registry();
        var problems = new List<string>();
        var used = new List<string>();
        foreach (var (file, folder, source) in SourceFiles())
        {
            foreach (Match match in LogMessageId().Matches(source))
            {
                var id = match.Groups["id"].Value;
                if (!id.StartsWith("EventIds.", StringComparison.Ordinal) || !registry.TryGetValue(id["EventIds.".Length..], out var value))
                {
                    problems.Add($"{file}: ZLoggerMessage({id}) is not an EventIds constant");
                    continue;
                }

                used.Add(id);
                if (!s_rangeOfFolder.TryGetValue(folder, out var range) || value < range || value >= range + 100)
                {
                    problems.Add($"{file}: {id} = {value} is outside the range of {folder}");
                }
            }
        }

        Assert.NotEmpty(used);
        problems.AddRange(used.GroupBy(u => u).Where(g => g.Count() > 1).Select(g => $"{g.Key} names two log messages"));
        problems.AddRange(registry.Keys.Select(k => "EventIds." + k).Except(used).Select(k => $"{k} names no log message"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static Dictionary<string, int> Registry() =>
        typeof(EventIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!, StringComparer.Ordinal);

    private static IEnumerable<(string File, string Folder, string Source)> SourceFiles()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "aot-streaming.sln")))
        {
            directory = directory.Parent;
        }

        var root = Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("repository root"), "src", "AotStreaming");
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var file = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (!file.StartsWith("obj/", StringComparison.Ordinal) && !file.StartsWith("bin/", StringComparison.Ordinal))
            {
                yield return (file, file.Split('/')[0], File.ReadAllText(path));
            }
        }
    }

    [GeneratedRegex(@"\[(?:ZLogger|Logger)Message\(\s*(?:eventId:\s*)?(?<id>[^,\)]+)")]
    private static partial Regex LogMessageId();
}
