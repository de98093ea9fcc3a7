using System.Text.Json;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Tests;

/// <summary>
/// <c>scan</c> with the kernel's debugfs semantics (<c>shrinker_debugfs_scan_write</c>): one direct call with exactly the
/// objects asked, no count, no batching, no deferral; node out of range or a group for a shrinker that is not
/// group-aware, invalid argument; unknown or offline group, not found; 0 objects, nothing.
/// </summary>
public partial class ReclaimDiagnosticServerTests
{
    [Fact]
    public async Task Scan_NotGroupAware_OneDirectCallWithExactlyThatMany()
    {
        using var process = new TestProcess();
        int countsBefore = process.CountCalls;
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        ShrinkerScanResult result = await client.ScanAsync("numa-1", group: 0, node: 1, nrToScan: 1000, TestContext.Current.CancellationToken);

        (string shrinker, ShrinkControl control) = Assert.Single(process.Scans);
        Assert.Equal("numa-1", shrinker);
        Assert.Equal(1000, control.NrToScan); // not cut to the batch of 128
        Assert.Equal(1, control.Node);
        Assert.Equal(countsBefore, process.CountCalls); // no count before the scan
        Assert.Equal(0, process.Numa.GetDeferred(1)); // no deferred work taken or left
        Assert.Equal(1000, result.Freed);
        Assert.Equal(1000, result.NrScanned);
        Assert.False(result.Stopped);
        Assert.Null(result.CallbackError);
        Assert.Equal(("numa-1", 0L, 1, 1000L), (result.Shrinker, result.Group, result.Node, result.NrToScan));
        Assert.Equal(0, process.Numa.GetStatistics().Passes);
    }

    [Fact]
    public async Task Scan_GroupAware_CalledWithThatGroupAndNode()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        ShrinkerScanResult result = await client.ScanAsync("memcg-2", process.B.Id, node: 1, nrToScan: 10, TestContext.Current.CancellationToken);

        (_, ShrinkControl control) = Assert.Single(process.Scans);
        Assert.Same(process.B, control.Group);
        Assert.Equal(1, control.Node);
        Assert.Equal(5, result.Freed); // the test shrinker frees half of what it is asked
    }

    [Fact]
    public async Task Scan_RootGroupOfGroupAware_CalledWithRoot()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        await client.ScanAsync("memcg-2", group: 1, node: 0, nrToScan: 4, TestContext.Current.CancellationToken);

        Assert.Same(process.Registry.Root, Assert.Single(process.Scans).Control.Group);
    }

    [Fact]
    public async Task Scan_ZeroObjects_NothingCalledEvenWhereTheGroupWouldBeRefused()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();
        CancellationToken ct = TestContext.Current.CancellationToken;

        ShrinkerScanResult plain = await client.ScanAsync("plain-0", group: 0, node: 0, nrToScan: 0, ct);
        ShrinkerScanResult wrongGroup = await client.ScanAsync("plain-0", group: 7, node: 1, nrToScan: 0, ct);
        ShrinkerScanResult unknownGroup = await client.ScanAsync("memcg-2", group: 99, node: 0, nrToScan: 0, ct);

        Assert.Empty(process.Scans);
        Assert.All(new[] { plain, wrongGroup, unknownGroup }, r => Assert.Equal((0L, 0L, false), (r.Freed, r.NrScanned, r.Stopped)));
    }

    [Theory]
    [InlineData("numa-1", 0, 2, DiagnosticErrorCode.InvalidArgument)]   // node out of range (2 nodes)
    [InlineData("plain-0", 0, 5, DiagnosticErrorCode.InvalidArgument)]  // node out of range for a shrinker that ignores nodes too
    [InlineData("plain-0", 1, 0, DiagnosticErrorCode.InvalidArgument)]  // the root group given to a shrinker that is not group-aware
    [InlineData("plain-0", 2, 0, DiagnosticErrorCode.InvalidArgument)]  // any group id but 0
    [InlineData("memcg-2", 99, 0, DiagnosticErrorCode.NotFound)]        // unknown group
    [InlineData("memcg-2", 4, 0, DiagnosticErrorCode.NotFound)]         // offline group (/c)
    [InlineData("memcg-2", 0, 0, DiagnosticErrorCode.NotFound)]         // group id 0 is no group of a group-aware shrinker
    [InlineData("memcg-2", 99, 2, DiagnosticErrorCode.InvalidArgument)] // the node is checked first, as in the kernel
    [InlineData("nope-7", 0, 0, DiagnosticErrorCode.NotFound)]          // unknown shrinker
    public async Task Scan_KernelErrorCases_CodeAndNothingCalled(string shrinker, long group, int node, DiagnosticErrorCode expected)
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        var error = await Assert.ThrowsAsync<ReclaimDiagnosticException>(
            () => client.ScanAsync(shrinker, group, node, 10, TestContext.Current.CancellationToken));

        Assert.Equal(expected, error.Code);
        Assert.Empty(process.Scans);
        Assert.Equal(1, (await client.GetVersionAsync(TestContext.Current.CancellationToken)).Protocol); // connection still usable
    }

    [Fact]
    public async Task Scan_CallbackThrows_AnsweredWithTheErrorCountedNotPassedOn()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        await using ReclaimDiagnosticClient client = await harness.ConnectAsync();

        ShrinkerScanResult result = await client.ScanAsync("faulty-3", 0, 0, 3, TestContext.Current.CancellationToken);

        Assert.True(result.Stopped);
        Assert.Equal(0, result.Freed);
        Assert.Equal("InvalidOperationException: scan exploded", result.CallbackError);
        Assert.Equal(1, process.Faulty.GetStatistics().CallbackErrors);
    }

    [Fact]
    public async Task Scan_RawJson_AllFields()
    {
        using var process = new TestProcess();
        await using var harness = ServerHarness.Start(process.Registry);
        using RawConnection raw = await harness.ConnectRawAsync();

        JsonElement result = Answers.Ok(await raw.AskAsync("""{"v":1,"cmd":"scan","shrinker":"plain-0","group":0,"node":0,"nr_to_scan":3}"""));

        Assert.Equal(
            """{"shrinker":"plain-0","group":0,"node":0,"nr_to_scan":3,"freed":3,"nr_scanned":3,"stopped":false,"callback_error":null}""",
            result.GetRawText());
    }
}
