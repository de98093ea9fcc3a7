using Microsoft.Extensions.DependencyInjection;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// A shrinker the host brings up when it starts: one it allocates for an <see cref="IShrinkable"/> service
/// (<see cref="ShrinkableRegistration"/>), or a holder that registers its own shrinker when it is made
/// (<see cref="ActivatedHolder"/>, for <c>AddShrinkableCache</c>). Registered in the container as instances.
/// </summary>
internal abstract class HostedShrinker
{
    /// <summary>The service that holds the objects.</summary>
    public abstract Type ServiceType { get; }

    /// <summary>Brings the shrinker up; returns the shrinker the host must free when it stops, or null when the holder owns it.</summary>
    public abstract Shrinker? Start(IServiceProvider services, ShrinkerRegistry registry);
}

/// <summary>
/// A shrinker whose callbacks call an <see cref="IShrinkable"/> singleton. The service is the shrinker's
/// <see cref="Shrinker.PrivateData"/> and the callbacks are static lambdas (cached by the compiler), so a call allocates
/// nothing.
/// </summary>
internal sealed class ShrinkableRegistration(Type serviceType, string name, ShrinkerFlags flags, int seeks) : HostedShrinker
{
    public override Type ServiceType => serviceType;

    public override Shrinker? Start(IServiceProvider services, ShrinkerRegistry registry)
    {
        var target = (IShrinkable)services.GetRequiredService(serviceType);
        Shrinker shrinker = registry.Alloc(name, flags);
        try
        {
            shrinker.Seeks = seeks;
            shrinker.PrivateData = target;
            shrinker.CountObjects = static (Shrinker s, ref ShrinkControl control) => ((IShrinkable)s.PrivateData!).CountObjects(ref control);
            shrinker.ScanObjects = static (Shrinker s, ref ShrinkControl control) => ((IShrinkable)s.PrivateData!).ScanObjects(ref control);
            target.Attach(shrinker);
            shrinker.Register();
            return shrinker;
        }
        catch
        {
            shrinker.Free();
            throw;
        }
    }
}

/// <summary>A keyed singleton made at start, so that its own shrinker is registered from then on; the container disposes it.</summary>
internal sealed class ActivatedHolder(Type serviceType, object key) : HostedShrinker
{
    public override Type ServiceType => serviceType;

    public override Shrinker? Start(IServiceProvider services, ShrinkerRegistry registry)
    {
        _ = services.GetRequiredKeyedService(serviceType, key);
        return null;
    }
}
