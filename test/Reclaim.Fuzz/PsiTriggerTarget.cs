using System.Globalization;
using Reclaim.Pressure;

namespace Reclaim.Fuzz;

/// <summary>
/// A PSI trigger as an option gives it (<c>some 150000 1000000</c>): <see cref="PsiPressureSource.ValidateTrigger"/>,
/// and <see cref="PsiPressureSource.UnprivilegedTrigger"/>, the 2 s-window form an unprivileged process falls back to.
/// </summary>
/// <remarks>
/// Properties: a refusal is an <see cref="ArgumentException"/> naming the parameter, with a message, and nothing else
/// is thrown; an accepted trigger's window is 0.5..10 s and its level Moderate (<c>some</c>) or Critical
/// (<c>full</c>); its canonical form (single spaces) is accepted the same; its unprivileged form is null exactly when
/// the window is already whole 2 s, and is otherwise accepted too, with the same level, a window of whole 2 s at least as
/// wide, and a stall no longer than that window.
/// </remarks>
internal static class PsiTriggerTarget
{
    private const string Param = "trigger";

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > Targets.MaxInput)
        {
            return;
        }

        string text = Targets.Decode(input);
        if (!TryValidate(text, out MemoryPressureLevel level, out long window))
        {
            return;
        }

        Targets.Check(level is MemoryPressureLevel.Moderate or MemoryPressureLevel.Critical, "the level is Moderate or Critical", text);
        Targets.Check(window is >= 500_000 and <= 10_000_000, "the window is 0.5..10 s", text);

        string[] parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string canonical = string.Join(' ', parts);
        Targets.Check(TryValidate(canonical, out MemoryPressureLevel againLevel, out long againWindow) && againLevel == level && againWindow == window, "the canonical form is accepted the same", text);

        string? unprivileged = PsiPressureSource.UnprivilegedTrigger(text);
        if (window % 2_000_000 == 0)
        {
            Targets.Check(unprivileged is null, "a whole 2 s window needs no unprivileged form", text);
            return;
        }

        Targets.Check(unprivileged is not null, "a window that is not whole 2 s has an unprivileged form", text);
        Targets.Check(
            TryValidate(unprivileged!, out MemoryPressureLevel wideLevel, out long wideWindow) && wideLevel == level &&
            wideWindow % 2_000_000 == 0 && wideWindow >= window,
            $"the unprivileged form '{unprivileged}' is accepted, same level, whole 2 s window at least as wide",
            text);
        long stall = long.Parse(unprivileged!.Split(' ')[1], CultureInfo.InvariantCulture);
        Targets.Check(stall >= 1 && stall <= wideWindow, "the unprivileged stall is 1..window", text);
    }

    private static bool TryValidate(string text, out MemoryPressureLevel level, out long window)
    {
        try
        {
            level = PsiPressureSource.ValidateTrigger(text, Param, out window);
            return true;
        }
        catch (ArgumentException e)
        {
            Targets.Check(e.ParamName == Param && !string.IsNullOrWhiteSpace(e.Message), "a refusal names the parameter and says why", text);
            level = default;
            window = 0;
            return false;
        }
    }
}
