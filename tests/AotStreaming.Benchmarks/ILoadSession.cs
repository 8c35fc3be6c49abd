namespace AotStreaming.Benchmarks;

/// <summary>One server run seen from one load tool: connect every client, then publishing windows.</summary>
internal interface ILoadSession : IAsyncDisposable
{
    Task ConnectAsync();

    Task<PhaseResult> RunWindowAsync(string label, int messages, double rate, TimeSpan? progressEvery);
}
