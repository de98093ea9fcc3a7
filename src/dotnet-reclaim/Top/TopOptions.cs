namespace Reclaim.Tool.Top;

/// <summary>The options of <c>top</c>.</summary>
/// <param name="Interval">Time between refreshes (<c>--interval</c>).</param>
/// <param name="Sort">The column sorted by at the start (<c>--sort</c>).</param>
/// <param name="Iterations">Refreshes before it stops by itself (<c>--iterations</c>), or <see langword="null"/> to run until quit.</param>
internal sealed record TopOptions(TimeSpan Interval, TopSort Sort = TopSort.Objects, int? Iterations = null)
{
    /// <summary>The default refresh interval.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    /// <summary>The shortest refresh interval taken (each refresh runs every count callback).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(50);
}
