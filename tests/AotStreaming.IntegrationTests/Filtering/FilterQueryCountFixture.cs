namespace AotStreaming.Filtering;

/// <summary>One dispatcher, so "queries per status" is one batch whatever the number of subscribers.</summary>
public sealed class FilterQueryCountFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Dispatch:DispatcherCount=1", "--Streaming:Limits:MaxConnectionsPerAddress=0"];
}
