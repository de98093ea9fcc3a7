namespace Reclaim.Pressure;

/// <summary>
/// The counters of a cgroup v2 <c>memory.events</c> file that say memory ran short (each counts events in the cgroup
/// and its descendants since it was created).
/// </summary>
/// <param name="Low">Reclaimed despite being under <c>memory.low</c> (pressure from outside the cgroup).</param>
/// <param name="High">Throttled and reclaimed for going over <c>memory.high</c>.</param>
/// <param name="Max">About to go over <c>memory.max</c>: direct reclaim at the hard limit.</param>
/// <param name="Oom">Reached <c>memory.max</c> and reclaim failed: the cgroup ran out of memory.</param>
/// <param name="OomKill">Processes the OOM killer killed.</param>
internal readonly record struct MemoryEventCounters(long Low, long High, long Max, long Oom, long OomKill);
