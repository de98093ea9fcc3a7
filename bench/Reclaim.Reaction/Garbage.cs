using System.Diagnostics;

namespace Reclaim.Reaction;

/// <summary>
/// A background thread allocating short-lived arrays at a fixed rate: the allocation traffic of a busy service, which
/// drives gen0 collections (and gen2 ones only if something survives). It catches up every millisecond or so.
/// </summary>
internal sealed class Garbage : IDisposable
{
    private readonly Thread _thread;
    private readonly double _bytesPerSecond;
    private readonly int _arraySize;
    private readonly Stopwatch _clock = new();
    private volatile bool _stop;
    private long _allocated;
    private byte[]? _sink;

    public Garbage(double bytesPerSecond, int arraySize)
    {
        _bytesPerSecond = bytesPerSecond;
        _arraySize = arraySize;
        _thread = new Thread(Run) { IsBackground = true, Name = "garbage" };
        _clock.Start();
        _thread.Start();
    }

    /// <summary>Bytes allocated per second since the start.</summary>
    public double Rate => Interlocked.Read(ref _allocated) / _clock.Elapsed.TotalSeconds;

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _clock.Stop();
    }

    private void Run()
    {
        long allocated = 0;
        while (!_stop)
        {
            double due = _bytesPerSecond * _clock.Elapsed.TotalSeconds;
            while (allocated < due)
            {
                _sink = new byte[_arraySize];
                allocated += _arraySize;
            }

            Interlocked.Exchange(ref _allocated, allocated);
            Thread.Sleep(1);
        }

        GC.KeepAlive(_sink);
    }
}
