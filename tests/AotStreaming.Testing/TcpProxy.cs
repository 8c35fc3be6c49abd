using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Testing;

/// <summary>
/// A loopback TCP forwarder put between the server and a dependency (PostgreSQL) to simulate an outage:
/// <see cref="Disconnect"/> resets every open connection, and while not <see cref="Forwarding"/> new connections
/// are accepted and then black-holed (nothing forwarded, nothing answered), or refused when <see cref="Refuse"/>.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly EndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;

    public TcpProxy(EndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>False: new connections are held open but get no bytes (a dead host behind a live SYN-ACK).</summary>
    public bool Forwarding { get; set; } = true;

    /// <summary>With <see cref="Forwarding"/> false: close new connections at once instead of black-holing them.</summary>
    public bool Refuse { get; set; }

    /// <summary>Resets every connection open through the proxy.</summary>
    public void Disconnect()
    {
        Socket[] open;
        lock (_lock)
        {
            open = [.. _open];
            _open.Clear();
        }

        foreach (var socket in open)
        {
            Reset(socket);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (!Forwarding)
            {
                if (Refuse)
                {
                    Reset(client);
                }
                else
                {
                    Track(client);
                }

                continue;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        Track(client);
        Track(upstream);
        try
        {
            await upstream.ConnectAsync(_target, _stop.Token);
            await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Reset(client);
            Reset(upstream);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void Track(Socket socket)
    {
        lock (_lock)
        {
            _open.Add(socket);
        }
    }

    private void Reset(Socket socket)
    {
        lock (_lock)
        {
            _open.Remove(socket);
        }

        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Disconnect();
        await _accepting;
        _stop.Dispose();
    }
}
