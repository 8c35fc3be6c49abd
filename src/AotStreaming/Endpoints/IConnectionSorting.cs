using System.Net.Sockets;

namespace AotStreaming.Endpoints;

/// <summary>
/// What <see cref="ConnectionUpgrade"/> tells the listener that accepted a socket: where the socket went. The listener
/// counts the sockets still being sorted, so that when it stops (shutdown, restart) none accepted before that is dropped:
/// the accept queue Kestrel reads stays open until the last one is decided.
/// </summary>
internal interface IConnectionSorting
{
    /// <summary>Cancelled when the listener stops accepting (shutdown): stop waiting for a request and decide now.</summary>
    CancellationToken Stopping { get; }

    /// <summary>The socket goes to Kestrel as accepted (nothing consumed). Decides it.</summary>
    void ToKestrel(Socket socket);

    /// <summary>The socket was served here or closed. Decides it.</summary>
    void Kept();

    /// <summary>Kestrel began the first request of a connection it was handed, or the connection closed before one.</summary>
    void FirstRequestEnded();
}
