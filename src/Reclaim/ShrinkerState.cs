namespace Reclaim;

/// <summary>Where a <see cref="Shrinker"/> is in its life: allocated, registered, being freed, freed.</summary>
public enum ShrinkerState
{
    /// <summary>Made by <see cref="ShrinkerRegistry.Alloc(string, ShrinkerFlags)"/>; settings may still change; never called.</summary>
    Allocated = 0,

    /// <summary>Linked into its registry and callable by every pass.</summary>
    Registered = 1,

    /// <summary><see cref="Shrinker.Free"/> has begun: no new call starts; calls already running are being waited for.</summary>
    Freeing = 2,

    /// <summary>Unlinked; no callback runs and none ever will. Terminal.</summary>
    Freed = 3,
}
