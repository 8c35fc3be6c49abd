namespace AotStreaming.Delivery;

/// <summary>
/// A place held in an outbox for a frame whose content waits on a database answer (public/hashtag filtering).
/// Holding the place keeps each connection's events in Redis order without making unfiltered connections wait.
/// A null result means "filtered out": nothing is written.
/// </summary>
internal sealed class PendingFrame
{
    private readonly TaskCompletionSource<byte[]?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<byte[]?> Result => _result.Task;

    public void Complete(byte[]? frame) => _result.TrySetResult(frame);
}
