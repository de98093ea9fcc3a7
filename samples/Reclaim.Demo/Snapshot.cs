using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reclaim.Demo;

/// <summary>
/// One line the workload (the child process) writes on its standard output: a JSON object whose <c>type</c> says which
/// report it is. The parent reads them back with the same types (<see cref="DemoJson"/>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StartReport), "start")]
[JsonDerivedType(typeof(Snapshot), "snapshot")]
[JsonDerivedType(typeof(FailureReport), "failure")]
internal abstract record WorkerReport;

/// <summary>Once, when the workload has started: who it is, the limit it sees and how to watch it.</summary>
/// <param name="ProcessId">Its process id (what <c>dotnet-reclaim top -p</c> takes).</param>
/// <param name="Endpoint">Its debug endpoint's socket, or null when none was opened.</param>
/// <param name="LimitBytes">The limit: the reclaimer's, or without one the runtime's (the GC heap hard limit).</param>
/// <param name="LimitSource">Where the limit comes from, for people (<c>GC heap hard limit</c>, <c>cgroup v1</c>, ...).</param>
/// <param name="Watermarks">The reclaimer's watermarks; null without a reclaimer.</param>
/// <param name="Sources">The reclaimer's pressure sources that started.</param>
/// <param name="Tenants">The tenants, in order.</param>
/// <param name="Threads">Worker threads.</param>
/// <param name="Seconds">How long it will run.</param>
internal sealed record StartReport(
    int ProcessId,
    string? Endpoint,
    long LimitBytes,
    string LimitSource,
    WatermarkFractions? Watermarks,
    IReadOnlyList<string> Sources,
    IReadOnlyList<TenantInfo> Tenants,
    int Threads,
    double Seconds) : WorkerReport;

/// <summary>The reclaimer's watermarks as fractions of the limit.</summary>
internal sealed record WatermarkFractions(double Target, double Start, double Direct);

/// <summary>A tenant as configured: its name and its share of the requests.</summary>
internal sealed record TenantInfo(string Name, double TrafficShare);

/// <summary>
/// Every 250 ms, and once more at the end (<see cref="Final"/>): the workload's state. Counters are totals since the
/// start; the reader computes rates from two snapshots.
/// </summary>
/// <param name="Seconds">Time since the workload started.</param>
/// <param name="Final">Whether this is the last one of a run that lasted its whole duration (it survived).</param>
/// <param name="Memory">Memory against the limit.</param>
/// <param name="Requests">Requests served.</param>
/// <param name="WrongValues">Hits whose value was not the key's (must stay 0).</param>
/// <param name="Tenants">Each tenant's cache, in the order of <see cref="StartReport.Tenants"/>.</param>
/// <param name="Catalog">The shared catalog (a MemoryCache).</param>
/// <param name="Pool">The request buffers' pool.</param>
/// <param name="Reclaim">What reclaim did and cost.</param>
/// <param name="Gc">The garbage collector's counts.</param>
internal sealed record Snapshot(
    double Seconds,
    bool Final,
    MemoryReading Memory,
    long Requests,
    long WrongValues,
    IReadOnlyList<CacheReading> Tenants,
    CacheReading Catalog,
    PoolReading Pool,
    ReclaimReading Reclaim,
    GcReading Gc) : WorkerReport;

/// <summary>
/// Memory, in bytes. <see cref="UsageBytes"/> is the managed heap now, garbage not yet collected included
/// (<see cref="GC.GetTotalMemory(bool)"/>: the reclaimer's measure under a heap hard limit; it may briefly read above
/// the limit, which the collector's committed memory never crosses). <see cref="HeapAfterGcBytes"/> is what the last
/// collection left (a young collection leaves the garbage of the older generations), <see cref="CommittedBytes"/> what
/// the collector had committed then. <see cref="PeakLiveBytes"/> is the most live data a full (gen2) collection found:
/// the heap it left less its fragmentation. It and the committed peak are read every 10 ms.
/// </summary>
internal sealed record MemoryReading(
    long UsageBytes,
    long LimitBytes,
    long HeapAfterGcBytes,
    long PeakLiveBytes,
    long CommittedBytes,
    long PeakCommittedBytes,
    long ChargedBytes,
    string Level);

/// <summary>
/// One cache: its size now and its counters so far. <see cref="Bytes"/> is null for a cache that does not weigh its
/// entries; <see cref="BudgetBytes"/> is its group's <see cref="Groups.MemoryGroup.High"/> now (<c>dotnet-reclaim
/// set-group</c> may change it), null when it has none.
/// </summary>
internal sealed record CacheReading(string Name, long Entries, long? Bytes, long Hits, long Misses, long Reclaimed, long Rejected, long? BudgetBytes)
{
    /// <summary>Hits over lookups; 0 before any lookup.</summary>
    [JsonIgnore]
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}

/// <summary>The buffer pool: idle arrays and their bytes now, arrays reclaimed so far.</summary>
internal sealed record PoolReading(long Arrays, long Bytes, long Reclaimed);

/// <summary>
/// Reclaim so far: the reclaimer's background runs (their count, total time, bytes freed and the last one), the
/// collections it induced, and every shrinker's frees and callback time (background runs, direct reclaim in charges
/// and tenant budgets alike).
/// </summary>
internal sealed record ReclaimReading(
    long Runs,
    double RunMilliseconds,
    long RunBytesFreed,
    long InducedCollections,
    long ObjectsFreed,
    double CallbackMilliseconds,
    LastRunReading? LastRun);

/// <summary>The last background run: why it ran, what it freed and how long it took.</summary>
internal sealed record LastRunReading(string Trigger, long BytesFreed, long ObjectsFreed, double DurationMilliseconds, double AtSeconds);

/// <summary>Collections so far and the time the process was paused for them.</summary>
internal sealed record GcReading(int Gen0, int Gen1, int Gen2, double PauseMilliseconds);

/// <summary>
/// The workload ran out of memory (or failed otherwise) and is about to exit with <see cref="WorkerProcess.OutOfMemoryExitCode"/>.
/// </summary>
/// <param name="Seconds">When the first failure happened.</param>
/// <param name="Reason">The exception's type name (<c>OutOfMemoryException</c>).</param>
/// <param name="Message">The exception's message.</param>
/// <param name="UsageBytes">The managed heap when it happened (garbage included).</param>
/// <param name="PeakLiveBytes">The most live data a full collection had found until then.</param>
/// <param name="LimitBytes">The limit.</param>
internal sealed record FailureReport(double Seconds, string Reason, string Message, long UsageBytes, long PeakLiveBytes, long LimitBytes) : WorkerReport;

/// <summary>The reports' JSON: snake_case names, written and read without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WorkerReport))]
internal sealed partial class DemoJson : JsonSerializerContext
{
    /// <summary>One report as one line of JSON.</summary>
    public static string Write(WorkerReport report) => JsonSerializer.Serialize(report, Default.WorkerReport);

    /// <summary>A report from a line, or null when the line is not one (other output of the child).</summary>
    public static WorkerReport? TryRead(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(line, Default.WorkerReport);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
