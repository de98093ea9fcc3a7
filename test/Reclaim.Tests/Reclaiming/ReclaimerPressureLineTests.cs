using Reclaim.Groups;
using static Reclaim.Tests.Reclaiming.FakeMemoryReader;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// Direct reclaim by charges: each reading puts a pressure line on the root where its charged bytes would bring usage to
/// the direct watermark; a charge crossing it reclaims on the charging thread first.
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
        rig.Reader.Heap = 790 * Mb; // below start: no run; 110 MB below the 900 MB direct line
        rig.Reclaimer.Step();
        Assert.Equal(0, rig.Reclaimer.RunCount);
        Assert.Equal(310 * Mb, rig.Root.ReclaimLine);

        // A 100 MB charge fits under the line; a further 20 MB does not, and reclaims on this thread first.
        Assert.True(rig.Root.TryCharge(100 * Mb));
        Assert.Equal(0, pool.Scanned);
        Assert.True(rig.Root.TryCharge(20 * Mb));

        Assert.True(pool.Scanned > 0);
        Assert.True(rig.Root.Usage <= 310 * Mb, $"usage {rig.Root.Usage / Mb} MB is back under the line");
    }

    [Fact]
    public void Step_UsageAboveDirect_PutsTheLineBelowTheChargedBytes()
    {
        using var rig = new ReclaimerRig();
        Assert.True(rig.Root.TryCharge(200 * Mb)); // charged by a holder with no shrinker: nothing to reclaim
        rig.Reader.Heap = 950 * Mb; // 50 MB above the direct line

        rig.Reclaimer.Step();

        Assert.Equal(150 * Mb, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Step_LowUsage_LeavesTheLineFarAbove()
    {
        using var rig = new ReclaimerRig();
        rig.Reader.Heap = 100 * Mb;

        rig.Reclaimer.Step();

        Assert.Equal(800 * Mb, rig.Root.ReclaimLine);
    }

    [Fact]
    public void Stop_RemovesTheLine()
    {
        using var rig = new ReclaimerRig();
        using var pool = new ObjectPool(rig.Registry, "pool", ObjectBytes);
        pool.Add(rig.Root, 3_200);
        rig.Reader.Heap = 790 * Mb; // no run; the line at 310 MB charged
        rig.Reclaimer.Step();
        Assert.Equal(310 * Mb, rig.Root.ReclaimLine);
        rig.Reclaimer.Start();
        rig.Reclaimer.Stop();

        Assert.Equal(MemoryGroup.Unlimited, rig.Root.ReclaimLine);
        Assert.True(rig.Root.TryCharge(500 * Mb));
        Assert.Equal(0, pool.Scanned);
    }
}
