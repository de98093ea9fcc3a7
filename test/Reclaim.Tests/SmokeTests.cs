namespace Reclaim.Tests;

public class SmokeTests
{
    [Fact]
    public void ShrinkSlab_OneShrinker_FreesWhatScanReports()
    {
        var registry = new ShrinkerRegistry();
        long objects = 10_000;
        Shrinker s = registry.Alloc("smoke");
        s.CountObjects = (Shrinker _, ref ShrinkControl _) => objects;
        s.ScanObjects = (Shrinker _, ref ShrinkControl sc) => { objects -= sc.NrToScan; return sc.NrToScan; };
        s.Register();
        long freed = registry.ShrinkSlab(0, null, 0);
        Assert.True(freed > 0);
        s.Free();
        Assert.Equal(ShrinkerState.Freed, s.State);
    }
}
