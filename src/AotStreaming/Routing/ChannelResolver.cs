using System.Text;
using AotStreaming.Delivery;
using AotStreaming.Ingress;
using AotStreaming.Postgres;
using AotStreaming.Protocol;

namespace AotStreaming.Routing;

/// <summary>
/// Channel name and parameters → Redis channels, stream array and filtering (reference §5.1–§5.4, §6.4).
/// Errors carry upstream's exact texts. The scope check (§4.4) is the caller's, because unsubscribe skips it.
/// </summary>
internal sealed class ChannelResolver(StreamingDatabase database)
{
    public async Task<Subscription> ResolveAsync(ClientConnection connection, string channelName, StreamParameters parameters, CancellationToken cancellationToken)
    {
        var user = connection.User;
        var account = user.AccountId;
        switch (channelName)
        {
            case "user":
                var withNotifications = user.HasScope("read") || user.HasScope("read:notifications");
                return Plain(connection, channelName, withNotifications
                    ? [RedisChannelNames.Home(account), RedisChannelNames.Notifications(account)]
                    : [RedisChannelNames.Home(account)]);
            case "user:notification":
                return Plain(connection, channelName, [RedisChannelNames.Notifications(account)]);
            case "direct":
                return Plain(connection, channelName, [RedisChannelNames.Direct(account)]);
            case "public" or "public:media" or "public:local" or "public:local:media" or "public:remote" or "public:remote:media":
                return await FilteredAsync(connection, channelName, "timeline:" + channelName, "local_live_feed_access", "remote_live_feed_access", null, cancellationToken);
            case "hashtag" or "hashtag:local":
                if (!parameters.Tag.IsPresent || parameters.Tag is { Kind: ParameterKind.String, Text.Length: 0 })
                {
                    throw new StreamingRequestException(400, "Missing tag name parameter");
                }

                if (parameters.Tag.Kind != ParameterKind.String)
                {
                    // Upstream's normaliser throws on a non-string tag: a 500.
                    throw new InvalidOperationException("tag is not a string");
                }

                var channel = RedisChannelNames.Hashtag(HashtagNormalizer.Normalize(parameters.Tag.Text!), channelName == "hashtag:local");
                return await FilteredAsync(connection, channelName, channel, "local_topic_feed_access", "remote_topic_feed_access", parameters.Tag.Json, cancellationToken);
            case "list":
                if (!parameters.List.IsPresent || parameters.List is { Kind: ParameterKind.String, Text.Length: 0 })
                {
                    throw new StreamingRequestException(400, "Missing list name parameter");
                }

                // A non-numeric id is an SQL error upstream, answered with the same 401 as a list one does not own.
                if (parameters.List.Kind is not (ParameterKind.String or ParameterKind.Number)
                    || !long.TryParse(parameters.List.Text, out var listId)
                    || !await database.OwnsListAsync(listId, account, cancellationToken))
                {
                    throw new StreamingRequestException(401, "Not authorized to stream this list");
                }

                return new Subscription
                {
                    Connection = connection,
                    ChannelName = channelName,
                    RedisChannels = [RedisChannelNames.List(parameters.List.Text!)],
                    StreamArray = StreamArray(channelName, parameters.List.Json),
                };
            default:
                throw StreamingRequestException.UnknownStream();
        }
    }

    public static Subscription System(ClientConnection connection) => new()
    {
        Connection = connection,
        ChannelName = "system",
        RedisChannels = [RedisChannelNames.AccessToken(connection.User.AccessTokenId), RedisChannelNames.System(connection.User.AccountId)],
        StreamArray = [],
        IsSystem = true,
    };

    private async Task<Subscription> FilteredAsync(
        ClientConnection connection, string channelName, string redisChannel, string localVar, string remoteVar, byte[]? extra, CancellationToken cancellationToken)
    {
        // view_feeds on the user's own role bypasses disabled feeds without a query (§6.4).
        var (local, remote) = (connection.User.Permissions & AuthenticatedUser.ViewFeedsPermission) != 0
            ? (true, true)
            : await database.FeedAccessAsync(localVar, remoteVar, cancellationToken);
        return new Subscription
        {
            Connection = connection,
            ChannelName = channelName,
            RedisChannels = [redisChannel],
            StreamArray = StreamArray(channelName, extra),
            NeedsFiltering = true,
            FilterLocal = !local,
            FilterRemote = !remote,
        };
    }

    private static Subscription Plain(ClientConnection connection, string channelName, string[] channels) => new()
    {
        Connection = connection,
        ChannelName = channelName,
        RedisChannels = channels,
        StreamArray = StreamArray(channelName, null),
    };

    /// <summary>
    /// Stream arrays are interned so every subscription with the same array shares one instance: the event's frame
    /// cache then finds its entry by reference, without a lock, for each of thousands of recipients.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> s_streamArrays = new(StringComparer.Ordinal);

    // Bounded so clients inventing endless tags cannot grow it; past the bound arrays are simply not shared.
    private const int MaxInternedStreamArrays = 10_000;

    private static byte[] StreamArray(string channelName, byte[]? extra)
    {
        var array = BuildStreamArray(channelName, extra);
        var key = Encoding.UTF8.GetString(array);
        if (s_streamArrays.TryGetValue(key, out var shared))
        {
            return shared;
        }

        return s_streamArrays.Count < MaxInternedStreamArrays ? s_streamArrays.GetOrAdd(key, array) : array;
    }

    private static byte[] BuildStreamArray(string channelName, byte[]? extra)
    {
        var name = Serialization.JsonText.EncodeString(channelName);
        var array = new List<byte>(name.Length + (extra?.Length ?? 0) + 3) { (byte)'[' };
        array.AddRange(name);
        if (extra is not null)
        {
            array.Add((byte)',');
            array.AddRange(extra);
        }

        array.Add((byte)']');
        return [.. array];
    }

    /// <summary>SSE path → channel name (reference §2.2); null for unknown paths.</summary>
    public static string? ChannelForPath(string path, bool onlyMedia) => path switch
    {
        "/api/v1/streaming/user" => "user",
        "/api/v1/streaming/user/notification" => "user:notification",
        "/api/v1/streaming/public" => onlyMedia ? "public:media" : "public",
        "/api/v1/streaming/public/local" => onlyMedia ? "public:local:media" : "public:local",
        "/api/v1/streaming/public/remote" => onlyMedia ? "public:remote:media" : "public:remote",
        "/api/v1/streaming/hashtag" => "hashtag",
        "/api/v1/streaming/hashtag/local" => "hashtag:local",
        "/api/v1/streaming/direct" => "direct",
        "/api/v1/streaming/list" => "list",
        _ => null,
    };

}
