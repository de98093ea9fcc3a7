namespace Reclaim.Diagnostics.Internal;

/// <summary>Quoting a client's text back in a message.</summary>
internal static class Text
{
    /// <summary>The text cut to at most <paramref name="max"/> characters (and "..."), never between the halves of a surrogate pair.</summary>
    public static string Cut(string? text, int max = 64)
    {
        if (text is null)
        {
            return string.Empty;
        }

        if (text.Length <= max)
        {
            return text;
        }

        int cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, cut), "...");
    }
}
