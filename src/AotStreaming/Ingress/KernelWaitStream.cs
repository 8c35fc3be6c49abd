using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AotStreaming.Ingress;

/// <summary>
/// A <see cref="NetworkStream"/> whose blocking reads wait in the kernel (<c>recv</c>, then <c>poll</c> while there is
/// nothing to read), for the subscriber's read thread. Once .NET has used a socket asynchronously (the connect and the
/// handshake here) its descriptor stays non-blocking, and a synchronous <see cref="Socket.Receive(Span{byte})"/>
/// then parks the thread on an event that .NET's epoll thread sets: every wake-up takes two thread switches, the
/// first on a thread shared with every client socket. Reading a 20 MB message that way, the read thread sat 50-60 ms
/// at a time with megabytes in its receive queue while Redis counted the rest of the message against the
/// subscriber's 32 MB pub/sub limit (issue 10 item 6). Asynchronous operations, writes and everything else are
/// the base stream's.
/// </summary>
internal sealed class KernelWaitStream(Socket socket) : NetworkStream(socket, ownsSocket: false)
{
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const short POLLIN = 0x001;
    private const int MsgPeek = 0x2;

    // A bound on each wait: a read whose socket was shut down wakes at once, this only covers a descriptor that is
    // somehow never signalled.
    private const int PollTimeoutMs = 1000;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // EAGAIN and EINTR are Linux's numbers; elsewhere the runtime's own wait is correct, only slower. (Not
        // base.Read: Stream's span overload calls back into the array overload above, and so into this one.)
        if (!OperatingSystem.IsLinux())
        {
            return Socket.Receive(buffer, SocketFlags.None);
        }

        var handle = Socket.SafeHandle;
        var added = false;
        try
        {
            // Held for the call, so a concurrent dispose cannot close the descriptor (and let its number be reused)
            // while this thread is in recv or poll; the owner shuts the socket down first, which wakes both.
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            // A zero-byte read (SslStream issues them) must wait until there is something to read and then return 0,
            // consuming nothing: recv of length 0 would return at once, so it peeks at one byte instead.
            Span<byte> probe = stackalloc byte[1];
            var target = buffer.IsEmpty ? probe : buffer;
            var flags = buffer.IsEmpty ? MsgPeek : 0;
            while (true)
            {
                var received = Recv(fd, ref MemoryMarshal.GetReference(target), target.Length, flags);
                if (received >= 0)
                {
                    return buffer.IsEmpty ? 0 : (int)received;
                }

                var error = Marshal.GetLastPInvokeError();
                if (error == EAGAIN)
                {
                    var wait = new PollDescriptor { Fd = fd, Events = POLLIN };
                    if (Poll(ref wait, 1, PollTimeoutMs) < 0 && Marshal.GetLastPInvokeError() != EINTR)
                    {
                        throw new IOException($"poll on the Redis socket failed (errno {Marshal.GetLastPInvokeError()})");
                    }
                }
                else if (error != EINTR)
                {
                    throw new IOException($"Unable to read data from the Redis connection (errno {error})");
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static extern nint Recv(int fd, ref byte buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern int Poll(ref PollDescriptor descriptors, nuint count, int timeoutMs);
}
