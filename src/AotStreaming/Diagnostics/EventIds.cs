namespace AotStreaming.Diagnostics;

/// <summary>
/// Every log event id, in one registry of ranges (one range per stage, so an operator can filter journald by stage):
/// 100s Ingress, 200s Decoding and Routing, 300s Dispatch, Filtering and Delivery, 400s Endpoints,
/// 500s Auth and Postgres, 900s Hosting. Each <c>XxxLog</c> class names its ids from here; a unit test checks
/// that they are unique and in their range. Ids are never reused for another meaning.
/// </summary>
internal static class EventIds
{
    // 100s: Ingress.
    public const int RedisSubscriberLost = 101;
    public const int RedisSubscriberRecovered = 102;
    public const int RedisSubscriberError = 103;
    public const int RedisSubscriberSilent = 104;
    public const int PresenceKeyFailed = 105;
    public const int IngressFull = 106;
    public const int SentinelMasterSwitch = 107;
    public const int SentinelWatching = 108;
    public const int SentinelUnreachable = 109;
    public const int SentinelQueryFailed = 110;
    public const int RedisSubscriberConnected = 111;
    public const int OversizedMessageSkipped = 112;
    public const int ReadThreadPriorityRaised = 113;
    public const int ReadThreadPriorityRefused = 114;

    // 200s: Decoding and Routing.
    public const int MalformedRedisMessage = 201;

    // 300s: Dispatch, Filtering and Delivery.
    public const int DispatchFailed = 301;
    public const int UnfilterableStatus = 302;
    public const int FilterFailedClosed = 311;
    public const int RawSocketWrites = 321;
    public const int PipeWrites = 322;

    // 400s: Endpoints.
    public const int ClientConnected = 401;
    public const int ClientDisconnected = 402;
    public const int RequestRejected = 403;
    public const int RequestFailed = 404;
    public const int Subscribed = 405;
    public const int SubscribeFailed = 406;
    public const int ClientDropped = 407;
    public const int HandshakeRejected = 408;
    public const int ProtocolViolation = 409;
    public const int UpgradeNoRequest = 410;
    public const int UpgradeAbandoned = 411;
    public const int UpgradedBelowHttp = 412;
    public const int AcceptFailed = 413;

    // 900s: Hosting.
    public const int Listening = 901;
    public const int Configured = 902;
    public const int ShuttingDown = 903;
    public const int EnvFileLoaded = 904;
}
