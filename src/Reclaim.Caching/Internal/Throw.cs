using System.Diagnostics.CodeAnalysis;

namespace Reclaim.Caching.Internal;

/// <summary>Throw helpers that keep the rare path out of hot methods (they are never inlined into callers).</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName,
        "The cache has been disposed: its entries were removed and its shrinker freed. Make a new cache.");
}
