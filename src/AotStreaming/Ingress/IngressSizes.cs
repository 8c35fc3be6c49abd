namespace AotStreaming.Ingress;

/// <summary>
/// The sizes stage 1 takes from <c>Streaming:Dispatch</c> (where operators have always set them). Hosting builds
/// this from the validated <c>DispatchOptions</c>, so Ingress does not reference the Dispatch stage downstream of it.
/// </summary>
internal sealed record IngressSizes(int Capacity, TimeSpan PresenceKeyTtl, TimeSpan PresenceKeyRefresh);
