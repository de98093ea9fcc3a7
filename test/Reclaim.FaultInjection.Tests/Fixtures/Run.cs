namespace Reclaim.FaultInjection.Tests.Fixtures;

/// <summary>
/// Every blocking step of a test runs on a thread of its own and is awaited with a timeout, so a deadlock fails the
/// test instead of hanging the run. <see cref="TestMs"/> is every test's own timeout on top of that.
/// </summary>
internal static class Run
{
    /// <summary>Every test's timeout (<c>[Fact(Timeout = Run.TestMs)]</c>).</summary>
    public const int TestMs = 30_000;

    /// <summary>Runs <paramref name="body"/> on a new thread and returns its result; fails if it takes longer than <see cref="Threaded.Timeout"/>.</summary>
    public static async Task<T> Within<T>(Func<T> body, string what = "the pass")
    {
        T result = default!;
        await Threaded.Within(Threaded.Start(() => result = body()), what);
        return result;
    }

    /// <summary>Runs <paramref name="body"/> on a new thread; fails if it takes longer than <see cref="Threaded.Timeout"/>.</summary>
    public static Task Within(Action body, string what = "the pass") => Threaded.Within(Threaded.Start(body), what);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <see cref="Threaded.Timeout"/>.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        bool met = SpinWait.SpinUntil(
            () =>
            {
                if (condition())
                {
                    return true;
                }

                Thread.Sleep(5);
                return false;
            },
            Threaded.Timeout);
        Assert.True(met, $"{what} did not happen within {Threaded.Timeout.TotalSeconds} s");
    }
}
