using Reclaim.Diagnostics.Protocol;
using Reclaim.Tool.Top;
using Spectre.Console.Testing;

namespace Reclaim.Tool.Tests.Top;

public sealed class TopFrameTests
{
    private static readonly TimeProvider s_time = TimeProvider.System;

    [Fact]
    public void Create_TwoSnapshots_FreedPerSecondFromTheDifference()
    {
        long t0 = 1_000_000;
        TopSnapshot before = Snapshot(t0, Shrinker("a-0", freed: 100, objects: 50));
        TopSnapshot after = Snapshot(t0 + (2 * s_time.TimestampFrequency), Shrinker("a-0", freed: 300, objects: 10), Shrinker("b-1", freed: 40, objects: 5));

        TopFrame frame = TopFrame.Create(before, after, TopSort.Freed, TimeSpan.FromSeconds(1), interactive: false, s_time);

        TopRow a = Assert.Single(frame.Rows, r => r.Shrinker == "a-0");
        Assert.Equal(100.0, a.FreedPerSecond); // (300 - 100) objects / 2 s
        Assert.Null(Assert.Single(frame.Rows, r => r.Shrinker == "b-1").FreedPerSecond); // new: no rate yet
        Assert.Equal(["a-0", "b-1"], frame.Rows.Select(r => r.Shrinker));
    }

    [Fact]
    public void Create_FirstSnapshot_NoRates()
    {
        TopFrame frame = TopFrame.Create(null, Snapshot(0, Shrinker("a-0", freed: 100, objects: 1)), TopSort.Objects, TimeSpan.FromSeconds(1), false, s_time);

        Assert.Null(Assert.Single(frame.Rows).FreedPerSecond);
    }

    [Theory]
    [InlineData("objects", "big-0,mid-1,small-2")]
    [InlineData("deferred", "small-2,mid-1,big-0")]
    [InlineData("errors", "mid-1,big-0,small-2")]
    [InlineData("time", "small-2,big-0,mid-1")]
    public void SortedBy_Column_LargestFirstThenByName(string sort, string expected)
    {
        TopSnapshot snapshot = Snapshot(0,
            Shrinker("big-0", objects: 1000, deferred: 1, errors: 0, timeMs: 5),
            Shrinker("mid-1", objects: 100, deferred: 10, errors: 3, timeMs: 1),
            Shrinker("small-2", objects: 1, deferred: 100, errors: 0, timeMs: 50));
        TopFrame frame = TopFrame.Create(null, snapshot, TopSort.Objects, TimeSpan.FromSeconds(1), false, s_time);

        Assert.Equal(expected.Split(','), frame.SortedBy(TopSorts.Parse(sort)).Rows.Select(r => r.Shrinker));
    }

    [Fact]
    public void Render_RunningCallback_ShowsForHowLong()
    {
        var info = new ShrinkerInfo
        {
            Shrinker = "slow-0",
            Statistics = new ShrinkerStatisticsInfo { TimeInCallbacksMs = 7000, RunningCallbacks = 1, RunningForMs = 6500, CallbackErrors = 2, ContractViolations = 1 },
        };
        TopFrame frame = TopFrame.Create(null, Snapshot(0, new TopShrinker(info, null)), TopSort.Objects, TimeSpan.FromSeconds(1), false, s_time);
        using var console = new TestConsole();
        console.Width(160);

        console.Write(TopView.Render(frame));

        Assert.Matches(@"slow-0\s+-\s+-\s+0\s+0\s+3\s+7\.00 s \(running 6\.50 s\)", console.Output);
        Assert.Contains("memory     no reclaimer in this process", console.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5, "[####################....................]")]
    [InlineData(0.0, "[........................................]")]
    public void AppendBar_Usage_FillsItsShare(double used, string expectedWithoutMarks)
    {
        var watermarks = new WatermarksInfo { Target = 0.7, Start = 0.8, Direct = 0.9 };
        using var console = new TestConsole();
        console.Width(100);

        console.Write(TopView.AppendBar(new Spectre.Console.Paragraph(), (long)(used * 1000), 1000, watermarks));

        string bar = console.Output.Trim();
        Assert.Equal(TopView.BarWidth + 2, bar.Length);
        Assert.Equal('|', bar[1 + 28]); // target: 70 % of 40 cells
        Assert.Equal('|', bar[1 + 32]); // start
        Assert.Equal('|', bar[1 + 36]); // direct
        char[] withoutMarks = bar.ToCharArray();
        foreach (int i in new[] { 29, 33, 37 })
        {
            withoutMarks[i] = expectedWithoutMarks[i];
        }

        Assert.Equal(expectedWithoutMarks, new string(withoutMarks));
    }

    private static TopSnapshot Snapshot(long timestamp, params TopShrinker[] shrinkers) =>
        new(new StatResult { ProcessId = 1, ProcessName = "test", Shrinkers = shrinkers.Length }, shrinkers, timestamp);

    private static TopShrinker Shrinker(string name, long freed = 0, long? objects = 0, long deferred = 0, long errors = 0, long timeMs = 0) =>
        new(new ShrinkerInfo
        {
            Shrinker = name,
            Statistics = new ShrinkerStatisticsInfo { ObjectsFreed = freed, Deferred = deferred, CallbackErrors = errors, TimeInCallbacksMs = timeMs },
        },
        objects);
}
