using Reclaim;
using Reclaim.Caching;

// A cache with no size to guess: it holds what memory allows and gives back its coldest entries when reclaim asks.
using var thumbnails = new ShrinkableCache<string, byte[]>(new ShrinkableCacheOptions<string, byte[]>
{
    Name = "thumbnails",
    Weigher = static (key, value) => value.Length + 64,   // bytes charged per entry: reclaim counts its progress in them
});

// The reclaimer finds the process's limit (GC heap hard limit, memory cgroup, or RAM), watches usage against it, and
// runs the shrinkers (this cache's among them) when usage crosses 80 % of it, down to 70 %.
using var reclaimer = new Reclaimer(ShrinkerRegistry.Default);
reclaimer.Start();

for (int i = 0; i < 5_000; i++)
{
    byte[] thumbnail = thumbnails.GetOrAdd($"photo-{i}.jpg", static name => Render(name));   // a miss renders it
}

Console.WriteLine($"limit {reclaimer.Limit.Bytes >> 20} MiB ({reclaimer.Limit.Source}), level {reclaimer.Level}");
Console.WriteLine($"cached {thumbnails.Count} thumbnails, {thumbnails.GetStatistics().Bytes >> 10} KiB");

ReclaimResult result = reclaimer.Reclaim(1 << 20);       // direct reclaim: free 1 MiB now, on this thread
Console.WriteLine($"direct reclaim freed {result.BytesFreed >> 10} KiB; {thumbnails.Count} thumbnails left");

static byte[] Render(string name) => new byte[4_096 + (name.Length * 16)];
