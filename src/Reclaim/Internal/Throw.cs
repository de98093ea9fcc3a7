using System.Diagnostics.CodeAnalysis;

namespace Reclaim.Internal;

/// <summary>Throw helpers that keep the rare path out of hot methods (they are never inlined into callers).</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void Argument(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, object? actualValue, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, message);
}
