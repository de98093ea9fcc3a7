using Microsoft.Extensions.Time.Testing;
using Reclaim.Pressure;

namespace Reclaim.Tests.Pressure;

public class PressureTrackerTests
{
    private const long Limit = 1_000;
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(10);

    private static (PressureTracker Tracker, FakeTimeProvider Time) Make()
    {
        var time = new FakeTimeProvider();
        return (new PressureTracker(new Watermarks(), time, Cooldown), time);
    }

    [Fact]
    public void Update_CrossingWatermarks_RisesAtOnce()
    {
        var (tracker, _) = Make();

        Assert.Equal(MemoryPressureLevel.None, tracker.Update(799, Limit));
        Assert.Equal(MemoryPressureLevel.Moderate, tracker.Update(800, Limit));
        Assert.Equal(MemoryPressureLevel.Critical, tracker.Update(900, Limit));
        Assert.Equal(MemoryPressureLevel.Critical, tracker.Level);
    }

    [Fact]
    public void Update_Moderate_FallsOnlyBelowTargetAndAfterCooldown()
    {
        var (tracker, time) = Make();
        tracker.Update(850, Limit);

        Assert.Equal(MemoryPressureLevel.Moderate, tracker.Update(750, Limit)); // below start, above target: stays
        Assert.Equal(MemoryPressureLevel.Moderate, tracker.Update(600, Limit)); // below target, but within the cooldown
        time.Advance(Cooldown);
        Assert.Equal(MemoryPressureLevel.Moderate, tracker.Update(750, Limit)); // after it, still above target
        Assert.Equal(MemoryPressureLevel.None, tracker.Update(699, Limit));
    }

    [Fact]
    public void Update_Critical_FallsToModerateBelowStartThenToNoneBelowTarget()
    {
        var (tracker, time) = Make();
        tracker.Update(950, Limit);
        time.Advance(Cooldown);

        Assert.Equal(MemoryPressureLevel.Critical, tracker.Update(850, Limit)); // below direct, above start
        Assert.Equal(MemoryPressureLevel.Moderate, tracker.Update(790, Limit));
        Assert.Equal(MemoryPressureLevel.None, tracker.Update(100, Limit));
    }

    [Fact]
    public void Update_CriticalDroppingStraightBelowTarget_FallsToNone()
    {
        var (tracker, time) = Make();
        tracker.Update(950, Limit);
        time.Advance(Cooldown);

        Assert.Equal(MemoryPressureLevel.None, tracker.Update(10, Limit));
    }

    [Fact]
    public void Update_RiseDuringCooldown_RestartsIt()
    {
        var (tracker, time) = Make();
        tracker.Update(850, Limit);
        time.Advance(TimeSpan.FromSeconds(8));
        tracker.Update(950, Limit); // a rise: the cooldown starts again
        time.Advance(TimeSpan.FromSeconds(8));

        Assert.Equal(MemoryPressureLevel.Critical, tracker.Update(10, Limit));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(MemoryPressureLevel.None, tracker.Update(10, Limit));
    }

    [Theory]
    [InlineData(0.0, 0.8, 0.9, "Target")]
    [InlineData(0.8, 0.8, 0.9, "Target")]
    [InlineData(0.7, 0.9, 0.9, "Start")]
    [InlineData(0.7, 0.8, 1.1, "Direct")]
    public void Watermarks_OutOfOrder_ThrowNamingTheSetting(double target, double start, double direct, string setting)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Watermarks(target, start, direct).Validate());

        Assert.Equal(setting, ex.ParamName);
    }

    [Fact]
    public void BytesToFree_IsUsageAboveTarget()
    {
        var marks = new Watermarks();

        Assert.Equal(150, marks.BytesToFree(850, Limit));
        Assert.Equal(0, marks.BytesToFree(600, Limit));
    }

    [Fact]
    public void Update_BadReadings_Throw()
    {
        var (tracker, _) = Make();

        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Update(-1, Limit));
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Update(1, 0));
    }
}
