namespace AotStreaming.Configuration;

/// <summary>
/// Configuration values that cannot be used: one problem per line, each naming the variable or option and its value,
/// so an admin fixes them all in one go (<c>--check-config</c> and startup print them the same way).
/// </summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string problem)
        : this([problem])
    {
    }

    public ConfigurationException(IReadOnlyList<string> problems)
        : base(string.Join('\n', problems))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}
