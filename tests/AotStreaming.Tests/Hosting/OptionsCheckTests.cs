using System.Reflection;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace AotStreaming.Hosting;

/// <summary>Every option of every options class: a value of the wrong type is one line naming the key and the value.</summary>
public sealed class OptionsCheckTests
{
    /// <summary>Every options class in the library (a type with a <c>SectionName</c> constant) and each settable non-string property.</summary>
    public static TheoryData<string, string> EveryOption()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in typeof(OptionsCheck).Assembly.GetTypes())
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field)
            {
                foreach (var property in type.GetProperties().Where(p => p.CanWrite && p.PropertyType != typeof(string)))
                {
                    data.Add((string)field.GetValue(null)!, property.Name);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryOption))]
    public void Validate_UnconvertibleValue_OneLineNamingKeyAndValue(string section, string property)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new($"{section}:{property}", "not-a-value")])
            .Build();
        var problems = new List<string>();

        OptionsCheck.Validate(configuration, problems);

        var line = Assert.Single(problems);
        Assert.Contains($"{section}:{property}", line, StringComparison.Ordinal);
        Assert.Contains("not-a-value", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoBadValuesInOneSectionAndAnInvalidOneInAnother_ReportsAllThree()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(
            [
                new("Streaming:Delivery:OutboxCapacity", "abc"),
                new("Streaming:Delivery:CloseGraceSeconds", "soon"),
                new("Streaming:Postgres:CommandTimeoutSeconds", "-3"),
            ])
            .Build();
        var problems = new List<string>();

        var options = OptionsCheck.Validate(configuration, problems);

        Assert.Null(options);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("OutboxCapacity", StringComparison.Ordinal) && p.Contains("'abc'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("CloseGraceSeconds", StringComparison.Ordinal) && p.Contains("'soon'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("CommandTimeoutSeconds", StringComparison.Ordinal) && p.Contains("-3", StringComparison.Ordinal));
    }

    /// <summary>A positive nice value would lower the read thread below everything else; below -20 does not exist.</summary>
    [Theory]
    [InlineData("1")]
    [InlineData("19")]
    [InlineData("-21")]
    public void Validate_ReadThreadNiceOutsideMinusTwentyToZero_OneLineWithTheRange(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Streaming:Ingress:ReadThreadNice", value)]).Build();
        var problems = new List<string>();

        Assert.Null(OptionsCheck.Validate(configuration, problems));

        var line = Assert.Single(problems);
        Assert.Equal($"Streaming:Ingress:ReadThreadNice must be -20..0 (was {value}).", line);
    }

    [Fact]
    public void Validate_Defaults_NoProblems()
    {
        var problems = new List<string>();

        var options = OptionsCheck.Validate(new ConfigurationBuilder().Build(), problems);

        Assert.Empty(problems);
        Assert.NotNull(options);
    }

    [Fact]
    public void Validate_ValidValues_BoundOnceIntoTheCheckedOptions()
    {
        // Startup takes Kestrel's settings and every service's IOptions<T> from these instances: no second binding.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(
            [
                new("Streaming:Delivery:ResponseBufferBytes", "12345"),
                new("Streaming:Dispatch:DispatcherCount", "3"),
                new("Streaming:Limits:RequestHeadersTimeoutSeconds", "42"),
                new("Streaming:Ingress:MaxMessageBytes", "2048"),
                new("Streaming:Postgres:CommandTimeoutSeconds", "7"),
            ])
            .Build();
        var problems = new List<string>();

        var options = OptionsCheck.Validate(configuration, problems);

        Assert.Empty(problems);
        Assert.NotNull(options);
        Assert.Equal(12345, options.Delivery.ResponseBufferBytes);
        Assert.Equal(3, options.Dispatch.DispatcherCount);
        Assert.Equal(42, options.Limits.RequestHeadersTimeoutSeconds);
        Assert.Equal(2048, options.Ingress.MaxMessageBytes);
        Assert.Equal(7, options.Postgres.CommandTimeoutSeconds);
    }

    [Fact]
    public void Validate_RequestHeadersTimeoutOutOfRange_IsAProblemNotAClamp()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("Streaming:Limits:RequestHeadersTimeoutSeconds", "301")])
            .Build();
        var problems = new List<string>();

        var options = OptionsCheck.Validate(configuration, problems);

        Assert.Null(options);
        Assert.Contains("RequestHeadersTimeoutSeconds", Assert.Single(problems), StringComparison.Ordinal);
    }
}
