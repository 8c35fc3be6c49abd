using AotStreaming.Testing.Processes;
using Xunit;

namespace AotStreaming.Ingress;

/// <summary>
/// <see cref="ReadThreadPriority"/> against the real kernel, on threads of this test process: the raised nice value
/// applies to the calling thread only, and a thread it creates starts at 0 (reset-on-fork). Without CAP_SYS_NICE
/// (an unprivileged developer machine) the refusal is the answer checked.
/// </summary>
public sealed class ReadThreadPriorityTests
{
    [Fact]
    public void TryRaise_MinusTen_CallingThreadOnly_ThreadItCreatesStartsAtZero()
    {
        int error = -1, raised = int.MinValue, child = int.MinValue, sibling = int.MinValue;
        var thread = new Thread(() =>
        {
            error = ReadThreadPriority.TryRaise(-10);
            raised = ThreadPriorities.Current();
            // What the thread pool does when this thread queues work and it starts a worker: pthread_create from here.
            var created = new Thread(() => child = ThreadPriorities.Current());
            created.Start();
            created.Join();
        });
        thread.Start();
        thread.Join();
        var other = new Thread(() => sibling = ThreadPriorities.Current());
        other.Start();
        other.Join();

        if (ThreadPriorities.CanRaise())
        {
            Assert.Equal(0, error);
            Assert.Equal(-10, raised);
        }
        else
        {
            Assert.Equal(1, error); // EPERM
            Assert.Equal(0, raised);
        }

        Assert.Equal(0, child);
        Assert.Equal(0, sibling);
        Assert.Equal(0, ThreadPriorities.Current());
    }

    [Fact]
    public void TryRaise_ZeroOrAbove_AsksNothing()
    {
        var nice = int.MinValue;
        var thread = new Thread(() =>
        {
            Assert.Equal(0, ReadThreadPriority.TryRaise(0));
            nice = ThreadPriorities.Current();
        });
        thread.Start();
        thread.Join();

        Assert.Equal(0, nice);
    }

    [Theory]
    [InlineData(1, "EPERM")]
    [InlineData(38, "ENOSYS")]
    [InlineData(99, "errno 99")]
    public void ErrorName_KnownAndUnknown(int errno, string expected) => Assert.Equal(expected, ReadThreadPriority.ErrorName(errno));
}
