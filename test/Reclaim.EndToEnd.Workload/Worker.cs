using System.Buffers.Binary;
using System.Diagnostics;
using Reclaim.Samples;

namespace Reclaim.EndToEnd.Workload;

/// <summary>
/// One worker thread: draws Zipf keys and reads each through the cache until told to stop. Its counters are written by
/// its own thread only and read by the sampling thread (64-bit reads are atomic on the platforms the tests run on).
/// </summary>
internal sealed class Worker
{
    private readonly WorkloadCache _cache;
    private readonly Func<bool> _stopping;
    private readonly Action<Exception> _failed;
    private readonly Thread _thread;
    private readonly long _loadTicks;
    private long _ops;
    private long _corrupt;

    public Worker(int index, WorkloadOptions options, WorkloadCache cache, Func<bool> stopping, Action<Exception> failed)
    {
        _cache = cache;
        _stopping = stopping;
        _failed = failed;
        Sampler = new ZipfSampler(options.Keys, 0.9, options.Seed + index);
        _loadTicks = options.LoadMicroseconds * Stopwatch.Frequency / 1_000_000;
        _thread = new Thread(Run) { IsBackground = true, Name = $"e2e worker {index}" };
    }

    /// <summary>The worker's key sampler (and, through it, its random generator for value sizes).</summary>
    public ZipfSampler Sampler { get; }

    /// <summary>Misses: loads. Written by the cache's load on this worker's thread.</summary>
    public long Misses { get; set; }

    /// <summary>Lookups done.</summary>
    public long Ops => Volatile.Read(ref _ops);

    /// <summary>Hits whose value did not carry its key (must stay 0).</summary>
    public long Corrupt => Volatile.Read(ref _corrupt);

    public void Start() => _thread.Start();

    /// <summary>Spins for the configured load time (<c>--load-us</c>): a back end that takes time to answer.</summary>
    public void SimulateLoad()
    {
        if (_loadTicks == 0)
        {
            return;
        }

        long until = Stopwatch.GetTimestamp() + _loadTicks;
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }
    }

    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    private void Run()
    {
        try
        {
            while (!_stopping())
            {
                long key = Sampler.Next();
                byte[] value = _cache.Get(key, this);
                if (BinaryPrimitives.ReadInt64LittleEndian(value) != key)
                {
                    _corrupt++;
                }

                Volatile.Write(ref _ops, _ops + 1);
            }
        }
#pragma warning disable CA1031 // Every failure (OutOfMemoryException above all) is reported to the main thread, which ends the run.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _failed(exception);
        }
    }
}
