namespace AotStreaming.Ingress;

/// <summary>
/// Redis channel names (reference §5.1, §5.7). Names here are un-namespaced; <see cref="RedisNamespace"/> adds and
/// strips <c>REDIS_NAMESPACE:</c> at the socket, because Redis clients do not prefix pub/sub channels themselves.
/// </summary>
internal static class RedisChannelNames
{
    public static string Home(long accountId) => $"timeline:{accountId}";

    public static string Notifications(long accountId) => $"timeline:{accountId}:notifications";

    public static string Direct(long accountId) => $"timeline:direct:{accountId}";

    public static string List(string listId) => $"timeline:list:{listId}";

    public static string Hashtag(string normalizedTag, bool local) =>
        local ? $"timeline:hashtag:{normalizedTag}:local" : $"timeline:hashtag:{normalizedTag}";

    public static string AccessToken(long accessTokenId) => $"timeline:access_token:{accessTokenId}";

    public static string System(long accountId) => $"timeline:system:{accountId}";

    /// <summary>Rails publishes home, list and notification events only while this key exists (§5.6).</summary>
    public static string PresenceKey(string channel) => $"subscribed:{channel}";
}
