using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Reclaim.Caching;
using Reclaim.Diagnostics;
using Reclaim.Groups;
using Reclaim.Internal;
using Reclaim.Pressure;

namespace Reclaim.Soak;

/// <summary>A cache the workers fill, with its group and the child groups its entries are charged to.</summary>
internal sealed class CacheSlot(ShrinkableCache<int, byte[]> cache, MemoryGroup group, int generation)
{
    public ShrinkableCache<int, byte[]> Cache { get; } = cache;

    public MemoryGroup Group { get; } = group;

    public int Generation { get; } = generation;

    /// <summary>Child groups (online or recently offline), replaced whole.</summary>
    public MemoryGroup[] Children { get; set; } = [];
}

/// <summary>Records what the core reports through the registry's diagnostics hook: none of it should happen in the soak.</summary>
internal sealed class SoakDiagnostics(Violations violations, Counters counters) : ReclaimDiagnostics
{
    /// <summary>Adds a hook recording into <paramref name="violations"/> to <paramref name="registry"/>.</summary>
    public static void On(ShrinkerRegistry registry, Violations violations, Counters counters) =>
        registry.AddDiagnostics(new SoakDiagnostics(violations, counters));

    public override void CallbackFailed(Shrinker shrinker, ShrinkerCallbackKind kind, Exception exception) =>
        violations.Add("callback-failed", $"A {kind} callback of '{shrinker}' threw {exception.GetType().Name}: {exception.Message}");

    public override void ContractViolated(Shrinker shrinker, ShrinkerCallbackKind kind, long value) =>
        violations.Add("contract", $"A {kind} callback of '{shrinker}' answered {value}.");

    public override void UnchargeUnderflow(MemoryGroup group, long usage, long bytes) =>
        violations.Add("charges", $"Group '{group.Path}' was uncharged {bytes} bytes while it held {usage}.");

    public override void ReclaimerFailed(Exception exception)
    {
        counters.Add("reclaimer.failures");
        violations.Add("reclaimer", $"The reclaimer caught {exception.GetType().Name}: {exception.Message}");
    }
}

/// <summary>
/// One soak: the library's parts all running at once under the process's heap limit, worker threads churning them,
/// the invariants checked every few seconds with the world paused, memory sampled after full collections, and a
/// report at the end. <see cref="Execute"/> returns the exit code: 0 when every invariant held.
/// </summary>
internal sealed partial class SoakRun : IDisposable
{
    public const int KeySpace = 100_000;
    public const int MaxLedgerGroups = 40;
    public const int MaxCacheChildren = 6;
    public const int CacheCount = 3;

    private readonly SoakOptions _options;
    private readonly Stopwatch _clock = new();
    private readonly ConcurrentDictionary<SoakHolder, double> _holders = new();
    private readonly List<Thread> _threads = [];
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly CacheSlot[] _slots = new CacheSlot[CacheCount];
    private readonly Lock _slotGate = new();
    private long _checks;
    private long _pauses;
    private double _longestPauseMs;
    private int _groupSeq;
    private int _holderSeq;
    private Shrinker? _heldFreed; // --hold-freed
    private double _lastCacheReplaced;
    private int _cacheGeneration;
    private int _unitsAtStart;
    private int _fdsAtStart;

    public SoakRun(SoakOptions options)
    {
        _options = options;
        Counters = new Counters();
        Violations = new Violations();
        Gate = new WorldGate();
        Leaks = new LeakTracker();
        Registry = new ShrinkerRegistry(new ShrinkerRegistryOptions { NodeCount = 2 });
        SoakDiagnostics.On(Registry, Violations, Counters);
        Ledger = new Ledger(Registry);
        LedgerRoot = Ledger.Track(Registry.Root.CreateChild("ledger"), limited: false);
        CachesRoot = Registry.Root.CreateChild("caches");
        Reclaimer = new Reclaimer(Registry);
        Reclaimer.RunCompleted += (_, run) =>
        {
            Counters.Add("background.runs." + run.Trigger);
            Counters.Add("background.objects-freed", run.Result.ObjectsFreed);
            Counters.Add("background.bytes-freed", run.Result.BytesFreed);
        };
        SocketPath = Path.Combine(Path.GetTempPath(), $"reclaim-soak-{Environment.ProcessId}.sock");
        Server = new ReclaimDiagnosticServer(Registry, Reclaimer, new ReclaimDiagnosticServerOptions { Enabled = true, SocketPath = SocketPath, MaxConnections = 16, Log = LogEndpoint });
    }

    public ShrinkerRegistry Registry { get; }

    public Reclaimer Reclaimer { get; }

    public ReclaimDiagnosticServer Server { get; }

    public string SocketPath { get; }

    public Ledger Ledger { get; }

    public GroupHandle LedgerRoot { get; }

    public MemoryGroup CachesRoot { get; }

    public WorldGate Gate { get; }

    public Violations Violations { get; }

    public Counters Counters { get; }

    public LeakTracker Leaks { get; }

    private double Now => _clock.Elapsed.TotalSeconds;

    private bool Stopping => _stop.IsCancellationRequested;

    public int Execute()
    {
        _clock.Start();
        Console.WriteLine($"soak start seconds={_options.Seconds} seed={_options.Seed} pid={Environment.ProcessId} heap_hard_limit_env={Environment.GetEnvironmentVariable("DOTNET_GCHeapHardLimit") ?? "none"} check_interval_s={Text.Of(_options.CheckInterval, "F1")} sample_interval_s={Text.Of(_options.SampleInterval, "F1")}");
        MemoryLimit limit = Reclaimer.Limit;
        Console.WriteLine($"soak limit bytes={Text.Of(limit.Bytes)} source={limit.Source}");
        if (limit.Source != MemoryLimitSource.GCHeapHardLimit && !_options.AllowNoLimit)
        {
            Violations.Add("setup", $"The reclaimer sees a {limit.Source} limit, not a GC heap hard limit: run under DOTNET_GCHeapHardLimit (the program re-launches itself so unless --no-relaunch), or pass --allow-no-limit.");
            return Finish();
        }

        if (!Server.Start())
        {
            Violations.Add("setup", "The diagnostic server did not start.");
            return Finish();
        }

        Reclaimer.Start();
        foreach (MemoryPressureSourceStatus source in Reclaimer.Sources)
        {
            Console.WriteLine($"soak source name={source.Name} active={source.IsActive} reason=\"{source.UnsupportedReason}\"");
        }

        CreateCaches();
        _unitsAtStart = GroupBits.UnitCount(Registry);
        _fdsAtStart = ProcessCounts.OpenFiles();
        StartWorkers();
        RunChecksAndSamples();
        _stop.Cancel();
        JoinWorkers();
        if (Violations.CountOf("stuck") == 0)
        {
            TearDownAndCheck();
        }

        return Finish();
    }

    /// <summary>
    /// Not inlined, like every step that makes harness objects: a reference left in a frame still on the stack (the
    /// first-tier JIT keeps its temporaries alive to the end of the method) would keep what it reaches alive for the
    /// final leak check.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CreateCaches()
    {
        for (int i = 0; i < CacheCount; i++)
        {
            _slots[i] = NewCache();
        }
    }

    private void StartWorker(string name, int index, Action<Random> body)
    {
        int seed = _options.Seed + (index * 7919);
        var thread = new Thread(() =>
        {
            SourceScope.MarkHarnessThread();
            var random = new Random(seed);
            try
            {
                body(random);
            }
            catch (OutOfMemoryException ex)
            {
                // What the process looked like when it happened (the reclaimer is meant to prevent it).
                GCMemoryInfo gc = GC.GetGCMemoryInfo();
                ReclaimRun? last = Reclaimer.LastRun;
                Violations.Add("oom", $"{name} ran out of memory at {Text.Of(Now, "F1")} s: charged {Text.Mb(Registry.Root.Usage)} MiB, " +
                    $"GC.GetTotalMemory {Text.Mb(GC.GetTotalMemory(false))} MiB, last GC: heap {Text.Mb(gc.HeapSizeBytes)} MiB, committed {Text.Mb(gc.TotalCommittedBytes)} MiB, " +
                    $"fragmented {Text.Mb(gc.FragmentedBytes)} MiB, promoted {Text.Mb(gc.PromotedBytes)} MiB, gen {gc.Generation}, compacted {gc.Compacted}, " +
                    $"limit {Text.Mb(gc.TotalAvailableMemoryBytes)} MiB; reclaimer level {Reclaimer.Level}, {Reclaimer.RunCount} runs, last: {last?.Trigger ?? "none"} " +
                    $"(usage {Text.Mb(last?.UsageBytes ?? 0)} MiB, target {Text.Mb(last?.TargetBytes ?? 0)} MiB, freed {Text.Mb(last?.Result.BytesFreed ?? 0)} MiB); " +
                    $"collections gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}\n{ex}");
                _stop.Cancel();
            }
#pragma warning disable CA1031 // A worker's unexpected exception is a finding: reported, and the soak stops.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Violations.Add("worker", $"{name} failed: {ex}");
                _stop.Cancel();
            }
        })
        { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void JoinWorkers()
    {
        foreach (Thread thread in _threads)
        {
            if (!thread.Join(TimeSpan.FromSeconds(120)))
            {
                Violations.Add("stuck", $"Worker '{thread.Name}' did not stop within 120 s of the end (deadlock?).");
            }
        }
    }

    /// <summary>The main loop: checks every <see cref="SoakOptions.CheckInterval"/>, samples every <see cref="SoakOptions.SampleInterval"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RunChecksAndSamples()
    {
        double nextCheck = _options.CheckInterval;
        double nextSample = _options.SampleInterval;
        double nextLine = 10;
        while (!Stopping && Now < _options.Seconds)
        {
            double wait = Math.Min(Math.Min(nextCheck, nextSample), _options.Seconds) - Now;
            if (wait > 0 && _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(wait)))
            {
                break;
            }

            if (Now >= nextCheck)
            {
                CheckInvariants();
                nextCheck = Now + _options.CheckInterval;
            }

            if (Now >= nextSample)
            {
                TakeSample();
                nextSample = Now + _options.SampleInterval;
            }

            if (Now >= nextLine)
            {
                PrintProgress();
                nextLine = Now + Math.Max(10, _options.Seconds / 20.0);
            }
        }
    }

    private void PrintProgress()
    {
        Sample? last = _samples.Count > 0 ? _samples[^1] : null;
        string footprint = last is null ? string.Empty : string.Join(' ', last.Values.Select(v => $"{v.Key}={Text.Of(v.Value, "F1")}"));
        Console.WriteLine($"soak t={Text.Of(Now, "F0")} checks={Text.Of(Interlocked.Read(ref _checks))} violations={Text.Of(Violations.Total)} holders={_holders.Count} background_runs={Text.Of(Reclaimer.RunCount)} {footprint}");
    }

    /// <summary>The endpoint's log: limits set through it are counted, anything else printed.</summary>
    private void LogEndpoint(string message)
    {
        Counters.Add("endpoint.log-lines");
        if (!message.Contains(" set to ", StringComparison.Ordinal))
        {
            Console.WriteLine("soak endpoint-log " + message);
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        Server.Dispose();
        Reclaimer.Dispose();
    }
}
