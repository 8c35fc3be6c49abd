namespace AotStreaming.Dispatch;

/// <summary>An <see cref="IDispatcherInboxes"/> that records every post, in order, instead of running dispatchers.</summary>
internal sealed class RecordingInboxes : IDispatcherInboxes
{
    private readonly Lock _lock = new();
    private readonly List<(int Dispatcher, DispatcherCommand Command)> _posts = [];

    public IReadOnlyList<(int Dispatcher, DispatcherCommand Command)> Posts
    {
        get
        {
            lock (_lock)
            {
                return [.. _posts];
            }
        }
    }

    public ValueTask PostAsync(int dispatcher, DispatcherCommand command)
    {
        lock (_lock)
        {
            _posts.Add((dispatcher, command));
        }

        return ValueTask.CompletedTask;
    }
}
