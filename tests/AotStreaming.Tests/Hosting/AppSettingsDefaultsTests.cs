using System.Globalization;
using System.Text.Json;
using AotStreaming.Configuration;
using AotStreaming.Delivery;
using AotStreaming.Dispatch;
using AotStreaming.Endpoints;
using Xunit;

namespace AotStreaming.Hosting;

/// <summary>appsettings.json is where defaults live; the options classes must carry the same values.</summary>
public sealed class AppSettingsDefaultsTests
{
    public static TheoryData<string, object> OptionsClasses => new()
    {
        { DeliveryOptions.SectionName, new DeliveryOptions() },
        { DispatchOptions.SectionName, new DispatchOptions() },
        { LimitsOptions.SectionName, new LimitsOptions() },
        { PostgresOptions.SectionName, new PostgresOptions() },
        { Ingress.IngressOptions.SectionName, new Ingress.IngressOptions() },
    };

    [Theory]
    [MemberData(nameof(OptionsClasses))]
    public void AppSettingsJson_EveryOption_MatchesClassDefault(string section, object defaults)
    {
        var json = JsonDocument.Parse(File.ReadAllText(RepositoryFile("appsettings.json"))).RootElement;
        foreach (var part in section.Split(':'))
        {
            json = json.GetProperty(part);
        }

        var properties = defaults.GetType().GetProperties().Where(p => p.CanWrite).ToArray();

        Assert.NotEmpty(properties);
        foreach (var property in properties)
        {
            Assert.True(json.TryGetProperty(property.Name, out var value), $"{section}:{property.Name} is missing from appsettings.json");
            var value0 = property.GetValue(defaults);
            var expected = value0 is bool flag ? (flag ? "true" : "false") : Convert.ToString(value0, CultureInfo.InvariantCulture);
            Assert.Equal(expected, value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText());
        }

        Assert.Equal(properties.Length, json.EnumerateObject().Count());
    }

    private static string RepositoryFile(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "aot-streaming.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("repository root"), name);
    }
}
