using Reclaim.Internal;

namespace Reclaim.Tests.Reclaiming;

/// <summary>
/// <see cref="GarbageEstimate"/>: the reading less the charged bytes reclaim freed since the last gen2 collection, as far
/// as the uncharged part of the reading has grown since then. Bytes in MB; direct line 900. The scene: 400 charged,
/// 100 held by the rest of the process (the floor), then reclaim frees 150 charged bytes that stay in the reading.
/// </summary>
public class GarbageEstimateTests
{
    private const long Direct = 900;

    [Fact]
    public void Estimate_FirstReading_IsTheReading_AndSetsTheFloor()
    {
        var estimate = new GarbageEstimate();

        Assert.Equal(500, estimate.Estimate(500, charged: 400, reclaimed: 0, gen2Collections: 3, Direct));
        Assert.Equal(100, estimate.Floor);
    }

    [Fact]
    public void Estimate_NothingReclaimedSinceTheGen2Collection_IsTheReading()
    {
        GarbageEstimate estimate = AfterGen2();

        Assert.Equal(850, estimate.Estimate(850, charged: 400, reclaimed: 0, gen2Collections: 1, Direct));
    }

    [Fact]
    public void Estimate_ReclaimedBytesStillInTheReading_AreTakenOff()
    {
        GarbageEstimate estimate = AfterGen2();

        // Reclaim uncharged 150 that the reading still counts: the uncharged part grew from 100 to 250.
        Assert.Equal(350, estimate.Estimate(500, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));
    }

    [Fact]
    public void Estimate_ReclaimedBytesAYoungerCollectionFreed_AreNotTakenOffTwice()
    {
        GarbageEstimate estimate = AfterGen2();

        // A gen0 collection freed 60 of the 150: the reading fell to 440, and only 90 of the garbage is left in it.
        Assert.Equal(350, estimate.Estimate(440, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));

        // All of it freed: nothing is taken off.
        Assert.Equal(350, estimate.Estimate(350, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));
    }

    [Fact]
    public void Estimate_UnchargedGrowthBeyondTheReclaimedBytes_Counts()
    {
        GarbageEstimate estimate = AfterGen2();

        // The uncharged part grew by 450: 150 of it is reclaim's garbage, 300 counts.
        Assert.Equal(550, estimate.Estimate(700, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));
    }

    [Fact]
    public void Estimate_AtOrAboveTheDirectLine_IsTheReading()
    {
        GarbageEstimate estimate = AfterGen2();

        Assert.Equal(899 - 150, estimate.Estimate(899, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));
        Assert.Equal(900, estimate.Estimate(900, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));
    }

    [Fact]
    public void Estimate_NeverBelowTheChargedBytesAndTheFloor()
    {
        GarbageEstimate estimate = AfterGen2();

        Assert.Equal(250 + 100, estimate.Estimate(500, charged: 250, reclaimed: 10_000, gen2Collections: 1, Direct));
    }

    [Fact]
    public void Estimate_TheNextGen2Collection_MovesTheFloorAndForgetsEarlierFrees()
    {
        GarbageEstimate estimate = AfterGen2();
        Assert.Equal(350, estimate.Estimate(500, charged: 250, reclaimed: 150, gen2Collections: 1, Direct));

        // The gen2 collection freed the 150 and the rest of the process has grown to 200: the floor follows.
        Assert.Equal(450, estimate.Estimate(450, charged: 250, reclaimed: 150, gen2Collections: 2, Direct));
        Assert.Equal(200, estimate.Floor);

        // Later growth of the uncharged part is no longer explained by those 150.
        Assert.Equal(600, estimate.Estimate(600, charged: 250, reclaimed: 150, gen2Collections: 2, Direct));

        // New frees are.
        Assert.Equal(450, estimate.Estimate(600, charged: 100, reclaimed: 300, gen2Collections: 2, Direct));
    }

    /// <summary>A first reading, then one after a gen2 collection: 400 charged, floor 100, nothing reclaimed yet.</summary>
    private static GarbageEstimate AfterGen2()
    {
        var estimate = new GarbageEstimate();
        estimate.Estimate(680, charged: 400, reclaimed: 0, gen2Collections: 0, Direct);
        Assert.Equal(500, estimate.Estimate(500, charged: 400, reclaimed: 0, gen2Collections: 1, Direct));
        Assert.Equal(100, estimate.Floor);
        return estimate;
    }
}
