using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.Runtime;

namespace Reclaim.SystematicTests;

public class ProbeTests
{
    private static int s_value;

    [Fact]
    public void Probe_PlantedLostUpdate_IsFound()
    {
        var config = Configuration.Create().WithTestingIterations(100);
        using var engine = TestingEngine.Create(config, async () =>
        {
            s_value = 0;
            var a = Task.Run(() => { int v = s_value; SchedulingPoint.Interleave(); s_value = v + 1; });
            var b = Task.Run(() => { int v = s_value; SchedulingPoint.Interleave(); s_value = v + 1; });
            await Task.WhenAll(a, b);
            Specification.Assert(s_value == 2, $"lost update: {s_value}");
        });
        engine.Run();
        Assert.True(engine.TestReport.NumOfFoundBugs > 0, engine.GetReport());
    }
}
