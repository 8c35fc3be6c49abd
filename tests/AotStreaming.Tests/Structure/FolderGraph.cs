namespace AotStreaming.Structure;

/// <summary>One source file's reference to another folder.</summary>
internal readonly record struct FolderReference(string File, string FromFolder, string ToFolder);

/// <summary>
/// The folders of <c>src/AotStreaming</c> and which refer to which, with the files that make each edge, so a
/// failure can say where to look.
/// </summary>
internal sealed class FolderGraph
{
    private readonly SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> _edges = new(StringComparer.Ordinal);

    public FolderGraph(IEnumerable<FolderReference> references)
    {
        foreach (var reference in references)
        {
            if (!_edges.TryGetValue(reference.FromFolder, out var targets))
            {
                _edges[reference.FromFolder] = targets = new(StringComparer.Ordinal);
            }

            if (!targets.TryGetValue(reference.ToFolder, out var files))
            {
                targets[reference.ToFolder] = files = new(StringComparer.Ordinal);
            }

            files.Add(reference.File);
        }
    }

    public IEnumerable<string> Targets(string folder) =>
        _edges.TryGetValue(folder, out var targets) ? targets.Keys : [];

    public IReadOnlySet<string> FilesBehind(string from, string to) => _edges[from][to];

    /// <summary>
    /// Every cycle a depth-first search meets (at least one per strongly connected set of folders), each as the
    /// folder path that returns to its start, e.g. <c>[Dispatch, Delivery, Dispatch]</c>.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> FindCycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path, true: finished
        var path = new List<string>();

        void Visit(string folder)
        {
            state[folder] = false;
            path.Add(folder);
            foreach (var target in Targets(folder))
            {
                if (!state.TryGetValue(target, out var finished))
                {
                    Visit(target);
                }
                else if (!finished)
                {
                    var cycle = path.Skip(path.IndexOf(target)).ToList();
                    cycle.Add(target);
                    cycles.Add(cycle);
                }
            }

            path.RemoveAt(path.Count - 1);
            state[folder] = true;
        }

        foreach (var folder in _edges.Keys)
        {
            if (!state.ContainsKey(folder))
            {
                Visit(folder);
            }
        }

        return cycles;
    }

    /// <summary>A cycle as text, each hop with the files that make it: <c>Dispatch → Delivery (Subscription.cs)</c>.</summary>
    public string Describe(IReadOnlyList<string> cycle)
    {
        var hops = new List<string>();
        for (var i = 0; i + 1 < cycle.Count; i++)
        {
            hops.Add($"{cycle[i]} → {cycle[i + 1]} ({string.Join(", ", FilesBehind(cycle[i], cycle[i + 1]))})");
        }

        return string.Join("; ", hops);
    }
}
