using System.Collections.Concurrent;
using System.Globalization;

namespace Reclaim.Soak;

/// <summary>Broken invariants, by kind, with the first messages of each kind kept for the report.</summary>
internal sealed class Violations
{
    private const int KeptPerKind = 20;
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _messages = new();
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public IReadOnlyList<string> Messages => [.. _messages];

    /// <summary>Records one broken invariant of <paramref name="kind"/>.</summary>
    public void Add(string kind, string message)
    {
        long n = _counts.AddOrUpdate(kind, 1, static (_, c) => c + 1);
        Interlocked.Increment(ref _total);
        if (n <= KeptPerKind)
        {
            _messages.Enqueue($"[{kind}] {message}");
        }
    }

    public long CountOf(string kind) => _counts.GetValueOrDefault(kind);
}

/// <summary>Named counters (operations per kind, reclaim per source, endpoint answers): cheap, thread-safe.</summary>
internal sealed class Counters
{
    private readonly ConcurrentDictionary<string, StrongBox> _values = new(StringComparer.Ordinal);

    public void Add(string name, long value = 1) =>
        Interlocked.Add(ref _values.GetOrAdd(name, static _ => new StrongBox()).Value, value);

    public long Get(string name) => _values.TryGetValue(name, out StrongBox? box) ? Interlocked.Read(ref box.Value) : 0;

    public IEnumerable<KeyValuePair<string, long>> Snapshot() =>
        _values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValuePair<string, long>(p.Key, Interlocked.Read(ref p.Value.Value)));

    private sealed class StrongBox
    {
        public long Value;
    }
}

/// <summary>Formatting in the invariant culture.</summary>
internal static class Text
{
    public static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);

    public static string Of(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Of(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);
}
