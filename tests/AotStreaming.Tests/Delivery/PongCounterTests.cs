using Xunit;

namespace AotStreaming.Delivery;

public sealed class PongCounterTests
{
    // Client frames are masked: FIN+opcode, 0x80|length, a 4-byte mask key, the payload.
    private static byte[] Masked(int opcode, int length)
    {
        var header = length < 126 ? new byte[] { (byte)(0x80 | opcode), (byte)(0x80 | length) }
            : length <= ushort.MaxValue ? [(byte)(0x80 | opcode), 0x80 | 126, (byte)(length >> 8), (byte)length]
            : [(byte)(0x80 | opcode), 0x80 | 127, 0, 0, 0, 0, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        return [.. header, 1, 2, 3, 4, .. new byte[length]];
    }

    [Fact]
    public void Observe_PongsBetweenTextFramesOfEveryLengthForm_CountsOnlyThePongs()
    {
        var counter = new PongCounter();
        // A text payload full of 0x8A bytes (what a pong header starts with) must be skipped, not read as frames.
        var text = Masked(0x1, 300);
        Array.Fill(text, (byte)0x8A, 8, 300);
        byte[] stream = [.. Masked(0xA, 0), .. text, .. Masked(0x9, 4), .. Masked(0x1, 70_000), .. Masked(0xA, 8)];

        counter.Observe(stream);

        Assert.Equal(2, counter.Pongs);
    }

    [Fact]
    public void Observe_OneByteAtATime_CountsTheSameAsWholeReads()
    {
        var counter = new PongCounter();
        byte[] stream = [.. Masked(0x1, 200), .. Masked(0xA, 8), .. Masked(0xA, 0)];

        foreach (var b in stream)
        {
            counter.Observe([b]);
        }

        Assert.Equal(2, counter.Pongs);
    }
}
