using System.Globalization;
using System.Net;
using RawBroadcaster;

// raw-broadcaster --port P --redis-port R --channel timeline:public:local --stream public:local
var port = int.Parse(Argument(args, "port", "4200"), CultureInfo.InvariantCulture);
var redisPort = int.Parse(Argument(args, "redis-port", "6379"), CultureInfo.InvariantCulture);
var channel = Argument(args, "channel", "timeline:public:local");
var stream = Argument(args, "stream", channel.StartsWith("timeline:", StringComparison.Ordinal) ? channel["timeline:".Length..] : channel);

var sockets = new SocketSet();
var encoder = new FrameEncoder(stream);
using var listener = new UpgradeListener(new IPEndPoint(IPAddress.Loopback, port), sockets);
using var redis = RedisSubscription.Connect(new IPEndPoint(IPAddress.Loopback, redisPort), channel);
listener.Start();
Console.WriteLine($"reference raw broadcaster listening on 127.0.0.1:{port}, channel {channel}");

// The Redis reader runs on this thread: each message is framed once and sent to every socket in turn.
redis.Run(message =>
{
    if (encoder.TryEncode(message.Span) is { } frame)
    {
        sockets.SendToAll(frame);
    }
});

static string Argument(string[] args, string name, string fallback)
{
    var index = Array.IndexOf(args, "--" + name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}
