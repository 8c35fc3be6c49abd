using System.Text;
using AotStreaming.Protocol;
using AotStreaming.Routing;
using Xunit;

namespace AotStreaming.Endpoints;

public sealed class ClientCommandTests
{
    private static ClientCommand? Parse(string json) => ClientCommand.Parse(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("""{"type":"subscribe","stream":"\ud800"}""", "\uFFFD")]
    [InlineData("""{"type":"subscribe","stream":"\uDFFFx"}""", "\uFFFDx")]
    [InlineData("""{"type":"subscribe","stream":"a\ud800\ud800"}""", "a\uFFFD\uFFFD")]
    [InlineData("""{"type":"subscribe","stream":"\ud83d\ude00"}""", "\U0001F600")]
    [InlineData("""{"type":"subscribe","stream":"\\ud800"}""", "\\ud800")]
    public void Parse_LoneSurrogateEscape_BecomesReplacementCharacter(string json, string stream)
    {
        var command = Parse(json);

        Assert.NotNull(command);
        Assert.Equal(stream, command.Stream);
    }

    [Fact]
    public void Parse_LoneSurrogateInPropertyNamesAndType_DoesNotThrow()
    {
        Assert.Equal("public", Parse("""{"\ud800":1,"type":"subscribe","stream":"public"}""")!.Stream);
        Assert.Null(Parse("""{"type":"\ud800"}"""));
        Assert.Equal("\uFFFD", Parse("""{"type":"subscribe","stream":"hashtag","tag":"\udc00"}""")!.Parameters.Tag.Text);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsIgnored()
    {
        Assert.Null(ClientCommand.Parse(new byte[] { (byte)'{', 0xff, (byte)'}' }));
        Assert.Null(ClientCommand.Parse("{\"type\":\"subscribe\",\"stream\":\""u8.ToArray().Concat(new byte[] { 0xed, 0xa0, 0x80, (byte)'"', (byte)'}' }).ToArray()));
    }

    [Theory]
    [InlineData(33)]
    [InlineData(ClientCommand.MaxDepth)]
    public void Parse_DeepNesting_ParsedAsJsonParseWould(int depth)
    {
        var json = $$"""{"type":"subscribe","stream":"public","x":{{new string('[', depth - 1)}}{{new string(']', depth - 1)}}}""";

        Assert.Equal("public", Parse(json)?.Stream);
    }

    [Theory]
    [InlineData(ClientCommand.MaxDepth + 1)]
    [InlineData(100_000)]
    public void Parse_DeeperThanMaxDepth_IgnoredQuickly(int depth)
    {
        var json = $$"""{"type":"subscribe","stream":"public","x":{{new string('[', depth - 1)}}{{new string(']', depth - 1)}}}""";
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var command = Parse(json);

        Assert.Null(command);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("null")]
    [InlineData("""{"type":"ping"}""")]
    [InlineData("""{"type":"subscribe","stream":"public""")]
    public void Parse_NotACommand_IsNull(string json)
    {
        Assert.Null(Parse(json));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("0.0")]
    [InlineData("0e10")]
    [InlineData("1e-400")]
    [InlineData("false")]
    [InlineData("null")]
    public void Parse_FalsyParameter_IsAbsent(string value)
    {
        var command = Parse($$"""{"type":"subscribe","stream":"list","tag":{{value}},"list":{{value}}}""")!;

        Assert.False(command.Parameters.Tag.IsPresent);
        Assert.False(command.Parameters.List.IsPresent);
    }

    [Theory]
    [InlineData("1", nameof(ParameterKind.Number))]
    [InlineData("1e400", nameof(ParameterKind.Number))]
    [InlineData("true", nameof(ParameterKind.Other))]
    [InlineData("[]", nameof(ParameterKind.Other))]
    [InlineData("{}", nameof(ParameterKind.Other))]
    [InlineData("\"0\"", nameof(ParameterKind.String))]
    public void Parse_TruthyParameter_KeepsItsKind(string value, string kind)
    {
        var command = Parse($$"""{"type":"subscribe","stream":"list","list":{{value}}}""")!;

        Assert.Equal(kind, command.Parameters.List.Kind.ToString());
    }

    [Fact]
    public void Parse_EmptyStringParameter_IsAnEmptyString()
    {
        var tag = Parse("""{"type":"subscribe","stream":"hashtag","tag":""}""")!.Parameters.Tag;

        Assert.Equal(ParameterKind.String, tag.Kind);
        Assert.Equal("", tag.Text);
    }
}
