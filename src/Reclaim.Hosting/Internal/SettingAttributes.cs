using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// A data-annotations rule for one <see cref="ReclaimOptions"/> setting whose message names the setting by its
/// configuration key and shows the bad value: <c>Reclaim:TargetWatermark (1.5) must be above 0 and at most 1 ...</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal abstract class SettingAttribute : ValidationAttribute
{
    /// <summary>Words appended to the rule's message (what a boundary value means), or null.</summary>
    public string? Hint { get; set; }

    /// <inheritdoc/>
    protected sealed override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        string? problem = Check(value);
        if (problem is null)
        {
            return ValidationResult.Success;
        }

        string member = validationContext.MemberName ?? validationContext.DisplayName;
        string key = validationContext.ObjectInstance is ReclaimOptions options ? options.KeyOf(member) : member;
        string hint = Hint is null ? string.Empty : $" ({Hint})";
        return new ValidationResult($"{key} ({SettingText.Of(value)}) {problem}{hint}.", [member]);
    }

    /// <summary>What is wrong with <paramref name="value"/> (completing "Key (value) ..."), or null when it is valid.</summary>
    protected abstract string? Check(object? value);
}

/// <summary>A fraction of the memory limit: above 0 and at most 1.</summary>
internal sealed class FractionSettingAttribute : SettingAttribute
{
    protected override string? Check(object? value) =>
        value is double fraction && !(fraction > 0 && fraction <= 1) ? "must be above 0 and at most 1 (a fraction of the memory limit)" : null;
}

/// <summary>A duration that must not be negative.</summary>
internal sealed class NonNegativeSettingAttribute : SettingAttribute
{
    protected override string? Check(object? value) =>
        value is TimeSpan span && span < TimeSpan.Zero ? "must not be negative" : null;
}

/// <summary>A duration or a number of bytes that must be above zero when set.</summary>
internal sealed class PositiveSettingAttribute : SettingAttribute
{
    protected override string? Check(object? value) => value switch
    {
        TimeSpan span when span <= TimeSpan.Zero => "must be positive",
        long bytes when bytes <= 0 => "must be positive, or unset to detect the limit",
        _ => null,
    };
}

/// <summary>
/// A PSI trigger as the kernel accepts it: <c>some|full &lt;stall µs&gt; &lt;window µs&gt;</c>, the stall above 0 and
/// at most the window, the window from 500 ms to 10 s (<c>kernel/sched/psi.c</c>, <c>psi_trigger_create</c>).
/// </summary>
internal sealed class PressureStallTriggerSettingAttribute : SettingAttribute
{
    internal const long MinWindowMicroseconds = 500_000;
    internal const long MaxWindowMicroseconds = 10_000_000;

    protected override string? Check(object? value)
    {
        string[] parts = (value as string ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[0] is not ("some" or "full") ||
            !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long stall) ||
            !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long window))
        {
            return "must be 'some|full <stall µs> <window µs>', such as 'some 150000 1000000'";
        }

        if (window is < MinWindowMicroseconds or > MaxWindowMicroseconds)
        {
            return $"must have a window from {MinWindowMicroseconds} to {MaxWindowMicroseconds} µs (0.5 s to 10 s)";
        }

        return stall <= 0 || stall > window ? "must have a stall above 0 and at most the window" : null;
    }
}

/// <summary>How a setting's value is shown in a message: invariant culture, strings quoted.</summary>
internal static class SettingText
{
    public static string Of(object? value) => value switch
    {
        null => "null",
        double fraction => fraction.ToString("0.00##", CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        string text => $"'{text}'",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
