namespace Reclaim.SystematicTests.Infrastructure;

/// <summary>Task helpers that stay under Coyote's control.</summary>
internal static class Tasks
{
    /// <summary>
    /// Awaits every task in turn. Used instead of <c>Task.WhenAll(a, b, c)</c>, which C# 13 binds to the
    /// <c>params ReadOnlySpan&lt;Task&gt;</c> overload that Coyote 1.7.11 does not intercept (it reports it as uncontrolled).
    /// </summary>
    public static async Task All(params Task[] tasks)
    {
        foreach (Task task in tasks)
        {
            await task;
        }
    }
}
