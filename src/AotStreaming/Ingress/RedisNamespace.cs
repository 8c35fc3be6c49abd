namespace AotStreaming.Ingress;

/// <summary><c>REDIS_NAMESPACE</c> prefixing of channels and keys (reference §5.5).</summary>
internal sealed class RedisNamespace(string? ns)
{
    private readonly string _prefix = string.IsNullOrEmpty(ns) ? "" : ns + ":";

    public string Apply(string name) => _prefix.Length == 0 ? name : _prefix + name;

    /// <summary>Strips the prefix from an incoming channel name; null when the channel is not ours.</summary>
    public string? Strip(string name) =>
        _prefix.Length == 0 ? name : name.StartsWith(_prefix, StringComparison.Ordinal) ? name[_prefix.Length..] : null;
}
