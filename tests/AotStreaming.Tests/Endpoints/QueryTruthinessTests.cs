namespace AotStreaming.Endpoints;

public sealed class QueryTruthinessTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("false")]
    [InlineData("0")]
    [InlineData("f")]
    [InlineData("F")]
    [InlineData("FALSE")]
    [InlineData("off")]
    [InlineData("OFF")]
    public void IsTruthy_UpstreamFalseSpelling_ReturnsFalse(string? value)
    {
        var result = QueryTruthiness.IsTruthy(value);

        Assert.False(result);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("1")]
    [InlineData("False")]
    [InlineData("Off")]
    [InlineData("no")]
    [InlineData(" ")]
    [InlineData("00")]
    public void IsTruthy_AnyOtherValue_ReturnsTrue(string value)
    {
        var result = QueryTruthiness.IsTruthy(value);

        Assert.True(result);
    }
}
