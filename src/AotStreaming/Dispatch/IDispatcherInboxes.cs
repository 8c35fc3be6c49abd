namespace AotStreaming.Dispatch;

/// <summary>
/// Where the router posts: the inbox of each dispatcher, by index. <see cref="DispatcherPool"/> is the one
/// implementation; the seam lets the router's unit tests see which dispatchers an event reached.
/// </summary>
internal interface IDispatcherInboxes
{
    ValueTask PostAsync(int dispatcher, DispatcherCommand command);
}
