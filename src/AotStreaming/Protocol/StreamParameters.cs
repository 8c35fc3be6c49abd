namespace AotStreaming.Protocol;

/// <summary>
/// The <c>tag</c> and <c>list</c> parameters of a subscription, as the client sent them: their value and their raw
/// JSON (a string or a number), because the stream array echoes them exactly (reference §3.4).
/// </summary>
internal readonly record struct StreamParameters(ParameterValue Tag, ParameterValue List);

/// <summary>One parameter: absent, a string, a number, or something else (an array, an object, a boolean).</summary>
internal readonly record struct ParameterValue(ParameterKind Kind, string? Text, byte[]? Json)
{
    public static ParameterValue Absent => default;

    public bool IsPresent => Kind != ParameterKind.Absent;

    public static ParameterValue FromString(string? value) =>
        value is null ? Absent : new(ParameterKind.String, value, Serialization.JsonText.EncodeString(value));
}

internal enum ParameterKind
{
    Absent,
    String,
    Number,
    Other,
}
