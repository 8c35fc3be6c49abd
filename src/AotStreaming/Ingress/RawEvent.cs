namespace AotStreaming.Ingress;

/// <summary>One pub/sub message as it came off the Redis socket, channel already stripped of the namespace.</summary>
internal readonly record struct RawEvent(string Channel, byte[] Message, long ReceivedTimestamp);
