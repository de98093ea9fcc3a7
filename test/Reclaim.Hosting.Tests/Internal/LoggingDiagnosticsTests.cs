using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Reclaim.Hosting.Internal;
using Reclaim.Internal;

namespace Reclaim.Hosting.Tests.Internal;

public sealed class LoggingDiagnosticsTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogger _logger = new();
    private readonly ShrinkerRegistry _registry = new();

    [Fact]
    public void CallbackFailed_RepeatedWithinTheInterval_LogsOnceThenReportsTheSkipped()
    {
        var diagnostics = new LoggingDiagnostics(_logger, _time);
        using Shrinker shrinker = _registry.Alloc("broken");
        var error = new InvalidOperationException("boom");

        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Scan, error);
        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Scan, error);
        diagnostics.ContractViolated(shrinker, ShrinkerCallbackKind.Count, -7);
        _time.Advance(LoggingDiagnostics.RepeatInterval - TimeSpan.FromTicks(1));
        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Count, error);
        Assert.Equal(1, _logger.Collector.Count);

        _time.Advance(TimeSpan.FromTicks(1));
        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Count, error);

        IReadOnlyList<FakeLogRecord> records = _logger.Collector.GetSnapshot();
        Assert.Equal(2, records.Count);
        Assert.Equal("0", Value(records[0], "SuppressedCount"));
        Assert.Equal("broken-0", Value(records[0], "Shrinker"));
        Assert.Same(error, records[0].Exception);
        Assert.Equal("3", Value(records[1], "SuppressedCount"));
        Assert.Equal("Count", Value(records[1], "Callback"));
    }

    [Fact]
    public void CallbackFailed_TwoShrinkers_ThrottledApart()
    {
        var diagnostics = new LoggingDiagnostics(_logger, _time);
        using Shrinker first = _registry.Alloc("first");
        using Shrinker second = _registry.Alloc("second");

        diagnostics.CallbackFailed(first, ShrinkerCallbackKind.Count, new InvalidOperationException());
        diagnostics.ContractViolated(second, ShrinkerCallbackKind.Scan, -3);

        Assert.Equal(["first-0", "second-1"], _logger.Collector.GetSnapshot().Select(r => Value(r, "Shrinker")));
        Assert.Equal(31, _logger.Collector.LatestRecord.Id.Id);
    }

    [Fact]
    public void CallbackFailed_WarningDisabled_LogsNothingAndKeepsNoThrottle()
    {
        _logger.ControlLevel(LogLevel.Warning, enabled: false);
        var diagnostics = new LoggingDiagnostics(_logger, _time);
        using Shrinker shrinker = _registry.Alloc("quiet");

        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Scan, new InvalidOperationException());
        _logger.ControlLevel(LogLevel.Warning, enabled: true);
        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Scan, new InvalidOperationException());

        FakeLogRecord record = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal("0", Value(record, "SuppressedCount"));
    }

    [Fact]
    public void UnchargeUnderflowAndReclaimerFailed_Logged()
    {
        var diagnostics = new LoggingDiagnostics(_logger, _time);

        diagnostics.UnchargeUnderflow(_registry.Root, usage: 10, bytes: 25);
        diagnostics.ReclaimerFailed(new InvalidOperationException("reading failed"));

        IReadOnlyList<FakeLogRecord> records = _logger.Collector.GetSnapshot();
        Assert.Equal(32, records[0].Id.Id);
        Assert.Equal(LogLevel.Warning, records[0].Level);
        Assert.Equal("25", Value(records[0], "Bytes"));
        Assert.Equal("10", Value(records[0], "UsageBytes"));
        Assert.Equal(40, records[1].Id.Id);
        Assert.Equal(LogLevel.Error, records[1].Level);
    }

    [Fact]
    public void EveryHook_LoggerThrows_DoesNotThrow()
    {
        var diagnostics = new LoggingDiagnostics(new ThrowingLogger(), _time);
        using Shrinker shrinker = _registry.Alloc("any");

        diagnostics.CallbackFailed(shrinker, ShrinkerCallbackKind.Scan, new InvalidOperationException());
        diagnostics.ContractViolated(_registry.Alloc("other"), ShrinkerCallbackKind.Count, -9);
        diagnostics.UnchargeUnderflow(_registry.Root, 1, 2);
        diagnostics.ReclaimerFailed(new InvalidOperationException());
    }

    private static string? Value(FakeLogRecord record, string name) =>
        record.StructuredState?.FirstOrDefault(pair => pair.Key == name).Value;

    private sealed class ThrowingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("the logging provider failed");
    }
}
