namespace Reclaim.Testing;

/// <summary>
/// Threads for tests that need a real blocked thread (a callback held at a gate), with waits that time out so a
/// broken protocol fails the test instead of hanging it (after BitFaster's UnitTests/Threaded.cs).
/// </summary>
internal static class Threaded
{
    /// <summary>The longest any test waits for something that should happen.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="action"/> on a new dedicated thread; the task ends with it (and carries its exception).</summary>
    public static Task Start(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                action();
                done.SetResult();
            }
#pragma warning disable CA1031 // Carried to the awaiting test.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true, Name = "test worker" };
        thread.Start();
        return done.Task;
    }

    /// <summary>Waits for <paramref name="task"/>; fails the test with <paramref name="what"/> if it takes longer than <paramref name="timeout"/> (default <see cref="Timeout"/>).</summary>
    public static async Task Within(Task task, string what = "the operation", TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? Timeout;
        try
        {
            await task.WaitAsync(limit, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not finish within {limit.TotalSeconds} s (deadlock or lost wake-up?)");
        }
    }

    /// <summary>Whether <paramref name="task"/> completes within <paramref name="time"/>; for asserting that something still waits.</summary>
    public static async Task<bool> CompletesWithin(Task task, TimeSpan time)
    {
        Task first = await Task.WhenAny(task, Task.Delay(time, TestContext.Current.CancellationToken));
        return first == task;
    }

    /// <summary>Releases all <paramref name="count"/> workers at once (a barrier), each running <paramref name="body"/> with its index.</summary>
    public static Task RunTogether(int count, Action<int> body)
    {
        var tasks = new Task[count];
        var barrier = new Barrier(count);
        for (int i = 0; i < count; i++)
        {
            int index = i;
            tasks[i] = Start(() =>
            {
                barrier.SignalAndWait(Timeout);
                body(index);
            });
        }

        return Task.WhenAll(tasks).ContinueWith(
            t => { barrier.Dispose(); return t; },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).Unwrap();
    }
}
