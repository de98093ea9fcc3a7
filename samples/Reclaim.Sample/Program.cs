// Reclaim sample: a few caches register shrinkers; passes at falling priorities ask each for a share of its objects
// proportional to its size and inverse to its cost (seeks), exactly as the kernel's do_shrink_slab does; work a pass
// could not do is carried forward as deferred. Then drop-caches empties everything.
using Reclaim;
using Reclaim.Sample;
using Spectre.Console;

var registry = new ShrinkerRegistry();
ObjectPoolCache[] caches =
[
    new(registry, "dentry", objects: 200_000, seeks: Shrinker.DefaultSeeks),
    new(registry, "inode", objects: 60_000, seeks: Shrinker.DefaultSeeks),
    new(registry, "index", objects: 500_000, seeks: 8),     // costly to rebuild: asked for a quarter as much
    new(registry, "buffers", objects: 40_000, seeks: 0),    // free to re-create: half of it on every pass
    new(registry, "small", objects: 90, seeks: Shrinker.DefaultSeeks), // below one batch (128)
];

AnsiConsole.MarkupLine("[bold]Reclaim sample[/]: {0} shrinkers registered in a private registry.", registry.RegisteredCount);
AnsiConsole.MarkupLine("Each row is one cache in one pass: objects before, asked (sum of nr_to_scan), scan calls, freed, deferred after.");
AnsiConsole.WriteLine();

foreach (int priority in new[] { 12, 9, 6, 3, 1, 0 })
{
    var table = new Table().Title($"[yellow]ShrinkSlab(node 0, root, priority {priority})[/]")
        .AddColumns("shrinker", "seeks", "objects before", "asked", "calls", "freed", "deferred after");
    var before = caches.Select(c => c.Objects).ToArray();
    foreach (ObjectPoolCache cache in caches)
    {
        cache.ResetAsked();
    }

    long freed = registry.ShrinkSlab(node: 0, group: null, priority);

    for (int i = 0; i < caches.Length; i++)
    {
        ObjectPoolCache c = caches[i];
        table.AddRow(
            c.Shrinker.ToString(),
            c.Shrinker.Seeks.ToString("N0"),
            before[i].ToString("N0"),
            c.Asked.ToString("N0"),
            c.Calls.ToString("N0"),
            (before[i] - c.Objects).ToString("N0"),
            c.Shrinker.GetDeferred(0).ToString("N0"));
    }

    table.Caption($"freed {freed:N0} objects");
    AnsiConsole.Write(table);

    // Between passes the caches keep filling, as a live service's would.
    foreach (ObjectPoolCache cache in caches)
    {
        cache.Grow(cache.Objects / 20);
    }
}

long dropped = registry.DropCaches();
AnsiConsole.MarkupLine("[bold]DropCaches()[/] freed {0:N0} more objects; left: {1}.", dropped,
    string.Join(", ", caches.Select(c => $"{c.Shrinker.Name} {c.Objects:N0}")));

foreach (ObjectPoolCache cache in caches)
{
    ShrinkerStatistics stats = cache.Shrinker.GetStatistics();
    AnsiConsole.MarkupLine("  {0}: {1:N0} passes, {2:N0} scanned, {3:N0} freed, {4:F3} ms in callbacks",
        cache.Shrinker, stats.Passes, stats.ObjectsScanned, stats.ObjectsFreed, stats.TimeInCallbacks.TotalMilliseconds);
    cache.Shrinker.Free();
}

AnsiConsole.MarkupLine("All shrinkers freed; {0} registered.", registry.RegisteredCount);
