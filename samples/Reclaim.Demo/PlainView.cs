using System.Globalization;
using Reclaim.Units;

namespace Reclaim.Demo;

/// <summary>
/// Progress as plain lines, for output that is not a terminal (or <c>--no-live</c>): what the workload is and how to
/// watch it once it has started, then one line a second.
/// </summary>
internal sealed class PlainView
{
    private readonly TextWriter _out;
    private bool _announced;
    private double _nextLineAt = 1;

    public PlainView(TextWriter output) => _out = output;

    /// <summary>Runs <paramref name="follow"/>, printing as it reports changes.</summary>
    public Task<T> RunAsync<T>(Func<Action<RunState>, Task<T>> follow) => follow(Update);

    /// <summary>The line for a snapshot: time, memory against the limit, level, throughput, hit rate, reclaim runs.</summary>
    public static string Line(RunState state, Snapshot s)
    {
        long hits = s.Tenants.Sum(t => t.Hits);
        long lookups = hits + s.Tenants.Sum(t => t.Misses);
        return string.Create(CultureInfo.InvariantCulture,
            $"{s.Seconds,5:F1} s  memory {ByteSize.Format(s.Memory.UsageBytes)} of {ByteSize.Format(s.Memory.LimitBytes)} " +
            $"({Summary.Percent(s.Memory.UsageBytes, s.Memory.LimitBytes)}), level {s.Memory.Level}  {state.RequestsPerSecond:N0} requests/s  " +
            $"tenants' hit rate {Summary.Percent(hits, lookups)}  reclaim runs {s.Reclaim.Runs:N0}, {s.Reclaim.ObjectsFreed:N0} objects reclaimed");
    }

    private void Update(RunState state)
    {
        if (!_announced && state.Start is { } start)
        {
            _announced = true;
            DemoOptions o = state.Options;
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Reclaim demo: {o.Tenants} tenants, a catalog and a buffer pool in one process, {o.Threads} client threads, " +
                $"{o.Duration.TotalSeconds:0.#} s under a {ByteSize.Format(o.LimitBytes)} {state.LimitDescription}, reclaim {(o.Reclaim ? "on" : "off")}."));
            _out.WriteLine($"Workload pid {start.ProcessId}; watch it with: dotnet-reclaim top -p {start.ProcessId}");
        }

        if (state.Latest is { } s && s.Seconds >= _nextLineAt)
        {
            _out.WriteLine(Line(state, s));
            _nextLineAt = Math.Floor(s.Seconds) + 1;
        }
    }
}
