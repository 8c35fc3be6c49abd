using System.Diagnostics;

namespace AotStreaming.Benchmarks;

/// <summary>
/// A process the tool started: its output is drained continuously (a full pipe would block the child)
/// and the last lines are kept for error messages. Killed with its process tree on dispose.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int TailLines = 40;

    private static readonly List<ChildProcess> s_live = [];

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    static ChildProcess()
    {
        // Last line of defence: never leave a server or redis-server behind, even on Ctrl+C or a crash.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public Task Exited => _exited.Task;

    /// <summary>Starts a child; <paramref name="withInput"/> gives it a stdin pipe for <see cref="AskAsync"/>.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string>>? environment = null, bool withInput = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = withInput,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Children run with their own runtime defaults, not the tool's; --server-env may still set them.
        SocketEngineSettings.RemoveFrom(info.Environment);
        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (s_live)
        {
            s_live.Add(child);
        }

        return child;
    }

    /// <summary>Completes with the first output line containing <paramref name="text"/>; fails if the process exits first.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_tail)
        {
            foreach (var line in _tail)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }

            _waiters.Add((text, seen));
        }

        var finished = await Task.WhenAny(seen.Task, Exited, Task.Delay(timeout));
        if (finished == seen.Task)
        {
            return await seen.Task;
        }

        var reason = finished == Exited ? $"exited with code {_process.ExitCode}" : $"did not print '{text}' within {timeout.TotalSeconds:0}s";
        throw new InvalidOperationException($"{Name} {reason}. Last output:{Environment.NewLine}{Tail()}");
    }

    /// <summary>Writes one command line to the child's stdin and completes with the next line starting with <paramref name="replyPrefix"/>.</summary>
    public async Task<string> AskAsync(string command, string replyPrefix, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_tail)
        {
            // Unlike WaitForLineAsync, an earlier reply in the tail does not count: only the one to this command.
            _waiters.Add((replyPrefix, seen));
        }

        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var finished = await Task.WhenAny(seen.Task, Exited, Task.Delay(timeout));
        if (finished == seen.Task)
        {
            return await seen.Task;
        }

        throw new InvalidOperationException($"{Name} did not answer '{command}' within {timeout.TotalSeconds:0}s. Last output:{Environment.NewLine}{Tail()}");
    }

    public string Tail()
    {
        lock (_tail)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        lock (s_live)
        {
            s_live.Remove(this);
        }

        _process.Dispose();
    }

    private static void KillAll()
    {
        ChildProcess[] live;
        lock (s_live)
        {
            live = [.. s_live];
        }

        foreach (var child in live)
        {
            child.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (line.Contains(_waiters[i].Text, StringComparison.Ordinal))
                {
                    _waiters[i].Seen.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
