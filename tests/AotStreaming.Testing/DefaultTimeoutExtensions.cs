namespace AotStreaming.Testing;

/// <summary>Every await that could hang ends in <c>.DefaultTimeout()</c> (aspnetcore's habit).</summary>
public static class DefaultTimeoutExtensions
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Timeout);

    public static Task DefaultTimeout(this ValueTask task) => task.AsTask().WaitAsync(Timeout);
}
