using AotStreaming.Delivery;
using Microsoft.AspNetCore.Http.Features;

namespace AotStreaming.Endpoints;

/// <summary>
/// Hands the WebSocket middleware a <see cref="WebSocketTransportStream"/> instead of the raw upgraded stream, and
/// keeps it so the endpoint can give the same stream to the connection's writer.
/// </summary>
internal sealed class WebSocketUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public WebSocketTransportStream? Stream { get; private set; }

    public async Task<Stream> UpgradeAsync() => Stream = new WebSocketTransportStream(await inner.UpgradeAsync());
}
