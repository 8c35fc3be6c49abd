using System.Collections.Concurrent;
using AotStreaming.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>Total and per-address connection limits (<see cref="LimitsOptions"/>).</summary>
internal sealed class ConnectionLimiter(IOptions<LimitsOptions> options, ClientAddress addresses, StreamingMetrics metrics)
{
    private readonly ConcurrentDictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>
    /// Null when admitted (call <see cref="Leave"/> with <paramref name="address"/> later); otherwise the refusal text.
    /// </summary>
    public string? TryEnter(HttpContext context, out string address)
    {
        var limits = options.Value;
        address = addresses.Of(context);
        if (Interlocked.Increment(ref _total) > limits.MaxConnections && limits.MaxConnections > 0)
        {
            Interlocked.Decrement(ref _total);
            metrics.RejectedConnections.Increment();
            return "Too many connections";
        }

        var count = _perAddress.AddOrUpdate(address, 1, static (_, c) => c + 1);
        if (limits.MaxConnectionsPerAddress > 0 && count > limits.MaxConnectionsPerAddress)
        {
            Release(address);
            metrics.RejectedConnections.Increment();
            return "Too many connections from this address";
        }

        return null;
    }

    public void Leave(string address) => Release(address);

    private void Release(string address)
    {
        Interlocked.Decrement(ref _total);
        if (_perAddress.AddOrUpdate(address, 0, static (_, c) => c - 1) <= 0)
        {
            _perAddress.TryRemove(new KeyValuePair<string, int>(address, 0));
        }
    }
}
