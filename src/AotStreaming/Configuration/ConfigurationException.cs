namespace AotStreaming.Configuration;

/// <summary>A configuration value that cannot be used; the message names the variable and the value.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
