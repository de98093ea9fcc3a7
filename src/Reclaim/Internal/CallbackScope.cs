using System.Runtime.CompilerServices;

namespace Reclaim.Internal;

/// <summary>
/// Which shrinkers the current thread is inside (a pass may run inside a callback of another pass, so this is a
/// stack). Lets <see cref="Shrinker.Free"/> refuse to wait for itself. Thread-static: no synchronisation needed.
/// </summary>
internal static class CallbackScope
{
    [ThreadStatic]
    private static Shrinker?[]? t_stack;

    [ThreadStatic]
    private static int t_depth;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Enter(Shrinker shrinker)
    {
        Shrinker?[]? stack = t_stack;
        int depth = t_depth;
        if (stack is null || depth == stack.Length)
        {
            stack = Grow();
        }

        stack[depth] = shrinker;
        t_depth = depth + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exit()
    {
        int depth = t_depth - 1;
        t_stack![depth] = null;
        t_depth = depth;
    }

    /// <summary>Whether this thread is inside any shrinker's callback.</summary>
    public static bool IsActive => t_depth > 0;

    public static bool IsInside(Shrinker shrinker)
    {
        Shrinker?[]? stack = t_stack;
        for (int i = t_depth - 1; i >= 0; i--)
        {
            if (ReferenceEquals(stack![i], shrinker))
            {
                return true;
            }
        }

        return false;
    }

    // Once per thread (and again only for passes nested more than 8 deep): not on the steady reclaim path.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Shrinker?[] Grow()
    {
        Shrinker?[] stack = t_stack ?? new Shrinker?[8];
        if (t_depth == stack.Length)
        {
            Array.Resize(ref stack, stack.Length * 2);
        }

        t_stack = stack;
        return stack;
    }
}
