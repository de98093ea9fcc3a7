namespace Reclaim.Tool.Top;

/// <summary>The column <c>top</c> sorts by, largest first (<c>--sort</c>, or a key while it runs).</summary>
internal enum TopSort
{
    /// <summary><c>objects</c> (key <c>o</c>): what the shrinker counts now.</summary>
    Objects,

    /// <summary><c>freed</c> (key <c>f</c>): objects freed per second since the last refresh.</summary>
    Freed,

    /// <summary><c>deferred</c> (key <c>d</c>): work carried forward.</summary>
    Deferred,

    /// <summary><c>errors</c> (key <c>e</c>): callbacks that threw or broke the contract.</summary>
    Errors,

    /// <summary><c>time</c> (key <c>t</c>): time spent in the callbacks.</summary>
    Time,
}

/// <summary>The names and keys of <see cref="TopSort"/>.</summary>
internal static class TopSorts
{
    /// <summary>The values <c>--sort</c> takes.</summary>
    public static readonly string[] Names = ["objects", "freed", "deferred", "errors", "time"];

    /// <summary>The sort a <c>--sort</c> value names.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The sort.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Not a name.</exception>
    public static TopSort Parse(string name) => name switch
    {
        "objects" => TopSort.Objects,
        "freed" => TopSort.Freed,
        "deferred" => TopSort.Deferred,
        "errors" => TopSort.Errors,
        "time" => TopSort.Time,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a sort: " + string.Join(", ", Names) + "."),
    };

    /// <summary>The sort a key selects while <c>top</c> runs, or <see langword="null"/>.</summary>
    /// <param name="key">The character typed.</param>
    /// <returns>The sort, or <see langword="null"/> for any other key.</returns>
    public static TopSort? FromKey(char key) => char.ToLowerInvariant(key) switch
    {
        'o' => TopSort.Objects,
        'f' => TopSort.Freed,
        'd' => TopSort.Deferred,
        'e' => TopSort.Errors,
        't' => TopSort.Time,
        _ => null,
    };

    /// <summary>The <c>--sort</c> name of a sort.</summary>
    /// <param name="sort">The sort.</param>
    /// <returns>Its name.</returns>
    public static string Name(TopSort sort) => Names[(int)sort];
}
