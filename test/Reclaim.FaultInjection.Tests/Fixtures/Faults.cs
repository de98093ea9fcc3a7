namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>Ready-made faults for <see cref="FaultyShrinker.Count"/> and <see cref="FaultyShrinker.Scan"/>.</summary>
internal static class Faults
{
    /// <summary>Throws what <paramref name="make"/> makes, on every call.</summary>
    public static FaultyCallback Throw(Func<Exception> make) =>
        (FaultyShrinker _, ref ShrinkControl _, int _) => throw make();

    /// <summary>Answers <paramref name="value"/> on every call.</summary>
    public static FaultyCallback Answer(long value) =>
        (FaultyShrinker _, ref ShrinkControl _, int _) => value;

    /// <summary>Runs <paramref name="fault"/> on the calls <paramref name="when"/> picks, the honest count on the others.</summary>
    public static FaultyCallback CountSometimes(Func<int, bool> when, FaultyCallback fault) =>
        (FaultyShrinker self, ref ShrinkControl control, int call) =>
            when(call) ? fault(self, ref control, call) : self.HonestCount(ref control);

    /// <summary>Runs <paramref name="fault"/> on the calls <paramref name="when"/> picks, the honest scan on the others.</summary>
    public static FaultyCallback ScanSometimes(Func<int, bool> when, FaultyCallback fault) =>
        (FaultyShrinker self, ref ShrinkControl control, int call) =>
            when(call) ? fault(self, ref control, call) : self.HonestScan(ref control);

    /// <summary>Does the honest scan first (objects taken and uncharged), then throws.</summary>
    public static FaultyCallback ScanThenThrow(Func<Exception> make) =>
        (FaultyShrinker self, ref ShrinkControl control, int _) =>
        {
            self.HonestScan(ref control);
            throw make();
        };

    /// <summary>Holds the callback at <paramref name="hold"/> on the calls <paramref name="when"/> picks, then answers honestly.</summary>
    public static FaultyCallback HangCount(Hold hold, Func<int, bool>? when = null) =>
        (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (when?.Invoke(call) ?? true)
            {
                hold.Wait();
            }

            return self.HonestCount(ref control);
        };

    /// <summary>Holds the callback at <paramref name="hold"/> on the calls <paramref name="when"/> picks, then answers honestly.</summary>
    public static FaultyCallback HangScan(Hold hold, Func<int, bool>? when = null) =>
        (FaultyShrinker self, ref ShrinkControl control, int call) =>
        {
            if (when?.Invoke(call) ?? true)
            {
                hold.Wait();
            }

            return self.HonestScan(ref control);
        };

    /// <summary>
    /// What a callback that allocates while memory is short throws. Reserved for the runtime as a rule (CA2201), but a
    /// callback that runs out of memory throws nothing else, and reclaim runs exactly then.
    /// </summary>
#pragma warning disable CA2201
    public static Exception OutOfMemory(string message) => new OutOfMemoryException(message);
#pragma warning restore CA2201

    /// <summary>The first call only.</summary>
    public static bool First(int call) => call == 0;
}

/// <summary>
/// A gate a callback waits at (a hung callback): the test waits until a callback is held, does what it tests, then
/// releases it. Disposing releases it too, so a failed test never leaves a thread blocked; and a held callback gives
/// up by itself after <see cref="Limit"/> in any case.
/// </summary>
internal sealed class Hold : IDisposable
{
    /// <summary>The longest a callback is ever held, even if the test forgets it.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _released = new();
    private int _held;

    /// <summary>How many calls have reached the gate.</summary>
    public int Held => Volatile.Read(ref _held);

    public bool IsReleased => _released.IsSet;

    /// <summary>Called by the callback: blocks until <see cref="Release"/>.</summary>
    public void Wait()
    {
        Interlocked.Increment(ref _held);
        _entered.Set();
        _released.Wait(Limit);
    }

    /// <summary>Waits until a callback is held; fails the test after <see cref="Threaded.Timeout"/>.</summary>
    public void WaitEntered(string what = "the callback")
    {
        Assert.True(_entered.Wait(Threaded.Timeout, TestContext.Current.CancellationToken), $"{what} was never reached");
    }

    public void Release() => _released.Set();

    // The events are not disposed: a callback released late may still touch them. They hold no kernel handle.
    public void Dispose() => _released.Set();
}

/// <summary>Unique names: the event source is process-wide and test classes run in parallel.</summary>
internal static class Names
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
