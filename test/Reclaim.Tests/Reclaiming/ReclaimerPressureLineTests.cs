using Reclaim.Groups;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// Direct reclaim by charges: each reading puts a pressure line on the root (limit 1000 MB: target line 700, direct
/// line 900) at the lower of (1) the charged bytes that would bring usage to the direct line and (2) the target line
/// less the least uncharged usage of the recent readings; a charge crossing it reclaims on the charging thread first.
/// </summary>
public class ReclaimerPressureLineTests
{
    private const long ObjectBytes = 64 * 1024;

    [Fact]
    public void Charge_AboveThePressureLine_ReclaimsOnTheChargingThreadFirst()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 3_200); // 200 MB charged
        rig.Reader.Heap = 300 * Mb; // 100 MB uncharged: budget 700 - 100 = 600; growth 200 + (900 - 300) = 800
        rig.Reclaimer.Step();
        Assert.Equal(600 * Mb, rig.Root.ReclaimLine);

        // 350 MB more fits under the line; a further 100 MB does not, and reclaims on this thread first.
        Assert.True(rig.Root.TryCharge(350 * Mb));
        Assert.Equal(0, pool.Scanned);
        Assert.True(rig.Root.TryCharge(100 * Mb));

        Assert.True(pool.Scanned > 0);
        Assert.True(rig.Root.Usage <= 600 * Mb, $"usage {rig.Root.Usage / Mb} MB is back under the line");
    }

    [Fact]
    public void Step_UsageAboveDirect_PutsTheLineBelowTheChargedBytes()
    {
        using var rig = new ReclaimerRig();
        Assert.True(rig.Root.TryCharge(200 * Mb)); // charged by a holder with no shrinker: nothing to reclaim
        rig.Reader.Heap = 880 * Mb; // 680 MB uncharged: budget 20; growth 200 + (900 - 880) = 220

        rig.Reclaimer.Step();

        Assert.Equal(20 * Mb, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Step_UnchargedUsageAboveTheTarget_LeavesChargesNoRoom()
    {
        using var rig = new ReclaimerRig();
        Assert.True(rig.Root.TryCharge(200 * Mb));
        rig.Reader.Heap = 950 * Mb; // the rest of the process alone (750 MB) is above the 700 MB target

        rig.Reclaimer.Step();

        Assert.Equal(0, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Step_GrowthLineLowerThanTheBudget_WinsBetweenReadings()
    {
        using var rig = new ReclaimerRig();
        Assert.True(rig.Root.TryCharge(100 * Mb));
        rig.Reader.Heap = 300 * Mb; // floor 200: budget 500
        rig.Reclaimer.Step();

        rig.Reader.Gen0++; // a collection: the credit (none here) is spent
        rig.Reader.Heap = 850 * Mb; // garbage piled up: growth 100 + (900 - 850) = 150, below the 500 budget
        rig.Reclaimer.Step();

        Assert.Equal(150 * Mb, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Step_BudgetUsesTheLeastUnchargedOfRecentReadings()
    {
        using var rig = new ReclaimerRig();
        Assert.True(rig.Root.TryCharge(100 * Mb));
        rig.Reader.Heap = 790 * Mb; // 690 uncharged (garbage before a collection)
        rig.Reclaimer.Step();
        Assert.Equal(10 * Mb, rig.Root.ReclaimLine);

        rig.Reader.Heap = 300 * Mb; // after a collection: 200 uncharged is what the process really needs
        rig.Reclaimer.Step();

        Assert.Equal(500 * Mb, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Step_LowUsage_LineIsTheTargetLessTheRestOfTheProcess()
    {
        using var rig = new ReclaimerRig();
        rig.Reader.Heap = 100 * Mb;

        rig.Reclaimer.Step();

        Assert.Equal(600 * Mb, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Stop_RemovesTheLine()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 3_200);
        rig.Reader.Heap = 300 * Mb; // no run; the line at 600 MB charged
        rig.Reclaimer.Step();
        Assert.Equal(600 * Mb, rig.Root.ReclaimLine);
        rig.Reclaimer.Start();
        rig.Reclaimer.Stop();

        Assert.Equal(MemoryGroup.Unlimited, rig.Root.ReclaimLine);
        Assert.True(rig.Root.TryCharge(900 * Mb));
        Assert.Equal(0, pool.Scanned);
    }
}
