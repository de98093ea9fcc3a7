using Reclaim.Tool.Targets;

namespace Reclaim.Tool.Tests.Targets;

public sealed class ProcessNamesTests
{
    [Theory]
    [InlineData("/usr/share/dotnet/dotnet|/srv/app/Orders.Api.dll|--urls|x", "Orders.Api")]
    [InlineData("dotnet|exec|--runtimeconfig|a.json|Service.dll", "Service")]
    [InlineData("/srv/app/Orders.Api|--urls|x", null)]
    [InlineData("dotnet", null)]
    public void AppName_CommandLine_TheDllADotnetHostRuns(string commandLine, string? expected) =>
        Assert.Equal(expected, ProcessNames.AppName(commandLine.Split('|')));

    [Theory]
    [InlineData("Orders.Api", true)]
    [InlineData("orders.api", true)]
    [InlineData("dotnet", true)]
    [InlineData("Orders", false)]
    public void Matches_ProcessOrAppName_IgnoringCase(string name, bool expected) =>
        Assert.Equal(expected, ProcessNames.Matches(name, "dotnet", ["dotnet", "Orders.Api.dll"]));

    [Fact]
    public void TryReadCommandLine_ThisProcess_StartsWithItsHost()
    {
        IReadOnlyList<string>? commandLine = ProcessNames.TryReadCommandLine(Environment.ProcessId);

        Assert.NotNull(commandLine);
        Assert.NotEmpty(commandLine);
    }
}
