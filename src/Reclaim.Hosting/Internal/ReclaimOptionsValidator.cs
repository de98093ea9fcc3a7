using Microsoft.Extensions.Options;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// The rules of <see cref="ReclaimOptions"/> that span settings (the order of the watermarks); the data annotations on
/// the properties check each setting alone. Messages name both settings by their configuration keys.
/// </summary>
internal sealed class ReclaimOptionsValidator : IValidateOptions<ReclaimOptions>
{
    public ValidateOptionsResult Validate(string? name, ReclaimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;
        if (!(options.TargetWatermark < options.StartWatermark))
        {
            (failures ??= []).Add(Below(options, nameof(options.TargetWatermark), options.TargetWatermark, nameof(options.StartWatermark), options.StartWatermark));
        }

        if (!(options.StartWatermark < options.DirectWatermark))
        {
            (failures ??= []).Add(Below(options, nameof(options.StartWatermark), options.StartWatermark, nameof(options.DirectWatermark), options.DirectWatermark));
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Below(ReclaimOptions options, string lower, double lowerValue, string upper, double upperValue) =>
        $"{options.KeyOf(lower)} ({SettingText.Of(lowerValue)}) must be below {options.KeyOf(upper)} ({SettingText.Of(upperValue)}).";
}
