using Reclaim.Internal;

namespace Reclaim.Groups;

// The memcg counters: usage charged hierarchically, a soft limit (High) that triggers reclaim, a hard limit (Max).
// Usage changes only through compare-and-swap loops that check Max at the moment of the change, so concurrent charges
// never take a group above Max. Limits change under the registry's gate, so a set High stays at or below Max.
public sealed partial class MemoryGroup
{
    /// <summary>The value of <see cref="High"/> and <see cref="Max"/> that means no limit.</summary>
    public const long Unlimited = long.MaxValue;

    private long _usage;
    private long _high = Unlimited;
    private long _max = Unlimited;

    /// <summary>Bytes charged to this group and its descendants.</summary>
    public long Usage => Volatile.Read(ref _usage);

    /// <summary>
    /// The soft limit in bytes: a charge that would take <see cref="Usage"/> above it first reclaims this group's
    /// subtree, synchronously, until usage is back under it (memcg's <c>memory.high</c>). While it is
    /// <see cref="Unlimited"/>, reclaim starts where a charge would cross <see cref="Max"/> instead.
    /// </summary>
    /// <value>The default value is <see cref="Unlimited"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, or above <see cref="Max"/> without being <see cref="Unlimited"/>.</exception>
    public long High
    {
        get => Volatile.Read(ref _high);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (Registry.Gate)
            {
                if (value > _max && value != Unlimited)
                {
                    Throw.ArgumentOutOfRange(nameof(value), value,
                        $"High of memory group '{Path}' must not be above its Max ({_max:N0} bytes); raise Max first.");
                }

                Volatile.Write(ref _high, value);
            }
        }
    }

    /// <summary>
    /// The hard limit in bytes: a charge that would take <see cref="Usage"/> above it, even after reclaim, is refused
    /// (memcg's <c>memory.max</c>).
    /// </summary>
    /// <value>The default value is <see cref="Unlimited"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or below a <see cref="High"/> that is set.</exception>
    public long Max
    {
        get => Volatile.Read(ref _max);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (Registry.Gate)
            {
                if (value < _high && _high != Unlimited)
                {
                    Throw.ArgumentOutOfRange(nameof(value), value,
                        $"Max of memory group '{Path}' must not be below its High ({_high:N0} bytes); lower High first.");
                }

                Volatile.Write(ref _max, value);
            }
        }
    }

    /// <summary>
    /// Charges <paramref name="bytes"/> to this group and every ancestor. Where the charge would take a group above its
    /// <see cref="High"/> (or its <see cref="Max"/> while High is unlimited), that group's subtree is reclaimed first
    /// (priority 12 down to 0, stopping as soon as the charge fits); if it would still take any group on the path above its <see cref="Max"/>,
    /// nothing is charged anywhere. A charge aimed at an offline group goes to its nearest online ancestor.
    /// </summary>
    /// <param name="bytes">The bytes to charge; 0 does nothing.</param>
    /// <returns>Whether the bytes were charged.</returns>
    /// <remarks>
    /// Reclaim runs the shrinkers on the calling thread. A charge made from inside a shrinker's callback (or from any
    /// reclaim on this thread) does not start another reclaim: it is charged or refused at once, so a shrinker that
    /// charges or uncharges in its callback cannot deadlock or recurse. No lock is held while reclaim runs.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public bool TryCharge(long bytes) => ChargeCore(bytes) is null;

    /// <summary>Does what <see cref="TryCharge(long)"/> does, and throws when the charge is refused.</summary>
    /// <param name="bytes">The bytes to charge; 0 does nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    /// <exception cref="MemoryGroupLimitExceededException">
    /// The charge would take a group above its <see cref="Max"/> even after reclaim; the exception names the group,
    /// its usage and its limit.
    /// </exception>
    public void Charge(long bytes)
    {
        MemoryGroup? refusedBy = ChargeCore(bytes);
        if (refusedBy is not null)
        {
            throw new MemoryGroupLimitExceededException(refusedBy, refusedBy.Usage, refusedBy.Max, bytes);
        }
    }

    /// <summary>
    /// Returns <paramref name="bytes"/> charged earlier to this group and every ancestor. Uncharging more than a group
    /// holds is a contract violation: it is reported and the usage stops at 0. Aimed at an offline group, it goes to the
    /// nearest online ancestor, as the group's charges did after it went offline (its ancestors' usage already
    /// included what it held before).
    /// </summary>
    /// <param name="bytes">The bytes to return; 0 does nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public void Uncharge(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
        {
            return;
        }

        // What a shrinker gives back from inside reclaim is what that reclaim freed (immune to concurrent charges).
        ReclaimScope.CountUncharged(bytes);
        for (MemoryGroup? group = NearestOnline(); group is not null; group = group.Parent)
        {
            long usage = Volatile.Read(ref group._usage);
            while (true)
            {
                long next = usage - bytes;
                if (next < 0)
                {
                    next = 0;
                }

                long seen = Interlocked.CompareExchange(ref group._usage, next, usage);
                if (seen == usage)
                {
                    break;
                }

                usage = seen;
            }

            if (usage < bytes)
            {
                Registry.Reporter.UnchargeUnderflow(group, usage, bytes);
            }
        }
    }

    /// <summary>Charges, reclaiming first where High would be crossed. Returns null when charged, else the group whose Max refused.</summary>
    private MemoryGroup? ChargeCore(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
        {
            return null;
        }

        MemoryGroup target = NearestOnline();

        // 1. Reclaim each group on the path that the charge would take above its reclaim line, nearest first.
        //    Not when this thread is already reclaiming or inside a callback: a shrinker charging from its callback
        //    must not recurse into reclaim.
        if (!ReclaimScope.IsActive && !CallbackScope.IsActive)
        {
            for (MemoryGroup? group = target; group is not null; group = group.Parent)
            {
                if (Saturating.Add(group.Usage, bytes) > group.ReclaimLine)
                {
                    Registry.ReclaimForCharge(group, bytes);
                }
            }
        }

        // 2. Charge every level; the first level whose Max refuses backs out the levels already charged.
        for (MemoryGroup? group = target; group is not null; group = group.Parent)
        {
            if (!group.TryAddUsage(bytes))
            {
                for (MemoryGroup charged = target; !ReferenceEquals(charged, group); charged = charged.Parent!)
                {
                    Interlocked.Add(ref charged._usage, -bytes);
                }

                return group;
            }
        }

        return null;
    }

    /// <summary>
    /// Where charges start reclaim: <see cref="High"/>, or <see cref="Max"/> while High is unlimited, or the reclaimer's
    /// pressure line when that is lower.
    /// </summary>
    internal long ReclaimLine => Math.Min(Math.Min(High, Max), Volatile.Read(ref _pressureLine));

    // Set by the reclaimer on the root only: the charged bytes at which the process would reach its direct watermark.
    // A charge above it reclaims on the charging thread first (the kernel's direct reclaim by allocators below the min
    // watermark), so holders that grow faster than background reclaim can follow are throttled by their own charges.
    private long _pressureLine = Unlimited;

    /// <summary>Sets the pressure line (see <see cref="ReclaimLine"/>); <see cref="Unlimited"/> removes it.</summary>
    internal void SetPressureLine(long bytes) => Volatile.Write(ref _pressureLine, Math.Max(0, bytes));

    /// <summary>Adds to this group's usage unless that would exceed Max at the moment of the change.</summary>
    private bool TryAddUsage(long bytes)
    {
        long usage = Volatile.Read(ref _usage);
        while (true)
        {
            long next = Saturating.Add(usage, bytes);
            if (next > Volatile.Read(ref _max))
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _usage, next, usage);
            if (seen == usage)
            {
                return true;
            }

            usage = seen;
        }
    }
}
