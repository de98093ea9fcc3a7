using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Reclaim.Benchmarks;

/// <summary>
/// Mean divided by the <c>ShrinkerCount</c> parameter: the cost of one shrinker visited by a pass. A column rather than
/// <c>OperationsPerInvoke</c>, which is a constant and cannot follow a parameter.
/// </summary>
public sealed class PerShrinkerColumn : IColumn
{
    public string Id => nameof(PerShrinkerColumn);

    public string ColumnName => "Per shrinker";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => 100;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Time;

    public string Legend => "Mean divided by ShrinkerCount: the cost of visiting one shrinker";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        object? count = benchmarkCase.Parameters["ShrinkerCount"];
        if (mean is null || count is not int shrinkers || shrinkers == 0)
        {
            return "?";
        }

        return (mean.Value / shrinkers).ToString("N2", CultureInfo.InvariantCulture) + " ns";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public override string ToString() => ColumnName;
}

/// <summary>Adds <see cref="PerShrinkerColumn"/> to the default configuration.</summary>
public sealed class PerShrinkerConfig : ManualConfig
{
    public PerShrinkerConfig() => AddColumn(new PerShrinkerColumn());
}
