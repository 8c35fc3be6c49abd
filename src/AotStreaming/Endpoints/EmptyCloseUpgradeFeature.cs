using Microsoft.AspNetCore.Http.Features;

namespace AotStreaming.Endpoints;

/// <summary>Hands the WebSocket middleware an <see cref="EmptyCloseFrameStream"/> instead of the raw upgraded stream.</summary>
internal sealed class EmptyCloseUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync() => new EmptyCloseFrameStream(await inner.UpgradeAsync());
}
