using System.Buffers;
using System.Text;

namespace AotStreaming.Ingress;

/// <summary>
/// A minimal RESP2 reader for the subscriber connection: arrays, bulk strings, integers, simple strings and errors.
/// Returns false when the buffer does not yet hold a whole value (the caller reads more and retries).
/// </summary>
internal static class RespReader
{
    /// <summary>Bulk strings larger than this are refused (Redis' own proto-max-bulk-len is 512 MB).</summary>
    public const int MaxBulkLength = 64 * 1024 * 1024;

    public static bool TryRead(ref SequenceReader<byte> reader, out object? value)
    {
        value = null;
        if (!reader.TryRead(out var type) || !reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            return false;
        }

        switch (type)
        {
            case (byte)'+':
                value = Encoding.UTF8.GetString(line);
                return true;
            case (byte)'-':
                value = new RespError(Encoding.UTF8.GetString(line));
                return true;
            case (byte)':':
                value = ParseInteger(line);
                return true;
            case (byte)'$':
            {
                var length = ParseInteger(line);
                if (length < 0)
                {
                    return true;
                }

                if (length > MaxBulkLength)
                {
                    throw new InvalidDataException($"bulk string of {length} bytes");
                }

                if (reader.Remaining < length + 2)
                {
                    return false;
                }

                var bytes = new byte[length];
                reader.TryCopyTo(bytes);
                reader.Advance(length + 2);
                value = bytes;
                return true;
            }

            case (byte)'*':
            {
                var count = ParseInteger(line);
                if (count < 0)
                {
                    return true;
                }

                if (count > 1024)
                {
                    throw new InvalidDataException($"array of {count} items");
                }

                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    if (!TryRead(ref reader, out items[i]))
                    {
                        return false;
                    }
                }

                value = items;
                return true;
            }

            default:
                throw new InvalidDataException($"unexpected RESP type byte 0x{type:x2}");
        }
    }

    public static void WriteCommand(IBufferWriter<byte> writer, IReadOnlyList<string> parts)
    {
        Write(writer, $"*{parts.Count}\r\n");
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            Write(writer, $"${bytes.Length}\r\n");
            writer.Write(bytes);
            writer.Write("\r\n"u8);
        }
    }

    private static void Write(IBufferWriter<byte> writer, string ascii) => writer.Write(Encoding.ASCII.GetBytes(ascii));

    private static long ParseInteger(ReadOnlySequence<byte> line)
    {
        Span<byte> buffer = stackalloc byte[24];
        if (line.Length is 0 or > 24)
        {
            throw new InvalidDataException("bad RESP integer");
        }

        line.CopyTo(buffer);
        if (!System.Buffers.Text.Utf8Parser.TryParse(buffer[..(int)line.Length], out long value, out var consumed) || consumed != line.Length)
        {
            throw new InvalidDataException("bad RESP integer");
        }

        return value;
    }
}

internal sealed record RespError(string Message);
