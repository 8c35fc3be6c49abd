using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace AotStreaming.Decoding;

/// <summary>
/// Makes a Redis message valid UTF-8 before anything is parsed or framed, as upstream does by decoding every message
/// with Node's <c>Buffer.toString('utf8')</c>: each maximal subpart of an ill-formed sequence becomes one U+FFFD
/// (the WHATWG Encoding Standard's UTF-8 decoder, Unicode's "best practice" of §3.9). RFC 6455 requires valid UTF-8
/// in text frames, and a client fails the whole connection on one bad byte, so this guards both transports.
/// </summary>
internal static class Utf8Sanitizer
{
    private static ReadOnlySpan<byte> ReplacementCharacter => "\uFFFD"u8;

    /// <summary>
    /// <paramref name="message"/> itself when it is valid (the normal case: one vectorised scan, no copy), else a
    /// repaired copy.
    /// </summary>
    public static byte[] Sanitize(byte[] message) => Utf8.IsValid(message) ? message : Repair(message);

    private static byte[] Repair(ReadOnlySpan<byte> message)
    {
        // Each replaced subpart is 1 to 3 bytes and becomes 3: at most three times the input, usually a little more.
        var output = new ArrayBufferWriter<byte>(message.Length + 16);
        var validStart = 0;
        var position = 0;
        while (position < message.Length)
        {
            // Rune.DecodeFromUtf8 reports an ill-formed sequence's maximal subpart as bytesConsumed (at least 1),
            // also for a truncated sequence at the end (NeedMoreData): exactly the WHATWG replacement unit.
            var status = Rune.DecodeFromUtf8(message[position..], out _, out var consumed);
            if (status != OperationStatus.Done)
            {
                output.Write(message[validStart..position]);
                output.Write(ReplacementCharacter);
                validStart = position + consumed;
            }

            position += consumed;
        }

        output.Write(message[validStart..]);
        return output.WrittenSpan.ToArray();
    }
}
