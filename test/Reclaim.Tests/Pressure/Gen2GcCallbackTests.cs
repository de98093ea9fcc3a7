using System.Runtime.CompilerServices;
using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure;

public class Gen2GcCallbackTests
{
    private sealed class Counter
    {
        public int Calls;
    }

    private static void FullCollection()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    [Fact]
    public void Register_EachGen2Collection_CallsBackOnce()
    {
        var counter = new Counter();
        Gen2GcCallback.Register(static c => { Interlocked.Increment(ref ((Counter)c).Calls); return true; }, counter);

        FullCollection();
        int afterFirst = Volatile.Read(ref counter.Calls);
        FullCollection();
        FullCollection();

        Assert.True(afterFirst >= 1, "no callback after a full collection");
        Assert.True(Volatile.Read(ref counter.Calls) >= afterFirst + 2, $"{counter.Calls} calls after three collections");
        GC.KeepAlive(counter);
    }

    [Fact]
    public void Register_CallbackReturnsFalse_Stops()
    {
        var counter = new Counter();
        Gen2GcCallback.Register(static c => { Interlocked.Increment(ref ((Counter)c).Calls); return false; }, counter);

        FullCollection();
        FullCollection();
        FullCollection();

        Assert.Equal(1, Volatile.Read(ref counter.Calls));
        GC.KeepAlive(counter);
    }

    [Fact]
    public void Register_TargetCollected_StopsAndDoesNotKeepItAlive()
    {
        WeakReference target = RegisterForUnreferencedTarget();

        FullCollection();
        FullCollection();

        Assert.False(target.IsAlive, "the callback kept its target alive");
    }

    [Fact]
    public void Register_CallbackThrows_StopsWithoutCrashing()
    {
        var counter = new Counter();
        Gen2GcCallback.Register(static c => { Interlocked.Increment(ref ((Counter)c).Calls); throw new InvalidOperationException("boom"); }, counter);

        FullCollection();
        FullCollection();

        Assert.Equal(1, Volatile.Read(ref counter.Calls));
        GC.KeepAlive(counter);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RegisterForUnreferencedTarget()
    {
        var target = new Counter();
        Gen2GcCallback.Register(static _ => true, target);
        return new WeakReference(target);
    }
}
