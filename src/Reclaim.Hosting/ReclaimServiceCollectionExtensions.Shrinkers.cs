using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Reclaim.Caching;
using Reclaim.Hosting.Internal;

namespace Reclaim.Hosting;

// Shrinkers whose holders live in the container.
public static partial class ReclaimServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="ShrinkableCache{TKey, TValue}"/> named <paramref name="name"/>, on the container's
    /// <see cref="ShrinkerRegistry"/>, made when the host starts so that reclaim sees it from the start.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The cache is a keyed service: resolve it with <c>[FromKeyedServices("name")]</c> or
    /// <c>GetRequiredKeyedService&lt;ShrinkableCache&lt;TKey, TValue&gt;&gt;("name")</c>. The first cache added for a
    /// pair of types is also registered unkeyed, so an application with one cache of a type injects
    /// <c>ShrinkableCache&lt;TKey, TValue&gt;</c> plainly; with several, the others are reached by name only.
    /// </para>
    /// <para>
    /// The cache's shrinker is named <paramref name="name"/> (<paramref name="configure"/> may change it, or any other
    /// option). The cache registers its own shrinker when it is made and frees it when the container disposes it, as the
    /// host does when it is disposed; it stays usable until then, so services stopping after it may still use it.
    /// </para>
    /// </remarks>
    /// <typeparam name="TKey">The cache's keys.</typeparam>
    /// <typeparam name="TValue">The cache's values.</typeparam>
    /// <param name="services">The services to add to.</param>
    /// <param name="name">The cache's name: its service key and its shrinker's name.</param>
    /// <param name="configure">Sets the cache's options (a weigher, a group, the seeks); null for the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space, or a cache of these types with this name was already added.</exception>
    public static IServiceCollection AddShrinkableCache<TKey, TValue>(
        this IServiceCollection services, string name, Action<ShrinkableCacheOptions<TKey, TValue>>? configure = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(ShrinkableCache<TKey, TValue>) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            throw new ArgumentException(
                $"A ShrinkableCache<{typeof(TKey).Name}, {typeof(TValue).Name}> named '{name}' was already added; give each cache its own name.", nameof(name));
        }

        AddShrinkerHosting(services);
        services.AddKeyedSingleton(name, (provider, _) =>
        {
            var options = new ShrinkableCacheOptions<TKey, TValue> { Name = name, Registry = provider.GetRequiredService<ShrinkerRegistry>() };
            configure?.Invoke(options);
            return new ShrinkableCache<TKey, TValue>(options);
        });
        services.TryAddSingleton(provider => provider.GetRequiredKeyedService<ShrinkableCache<TKey, TValue>>(name));
        services.AddSingleton<HostedShrinker>(new ActivatedHolder(typeof(ShrinkableCache<TKey, TValue>), name));
        return services;
    }

    /// <summary>
    /// Adds <typeparamref name="T"/> as a singleton (unless it is already registered) and makes it a shrinker: when the
    /// host starts, a shrinker named <paramref name="name"/> is allocated on the container's
    /// <see cref="ShrinkerRegistry"/> with callbacks that call the service's <see cref="IShrinkable"/> methods, and
    /// registered; when the host stops it is freed, so no callback runs after that.
    /// </summary>
    /// <remarks>
    /// With <see cref="ShrinkerFlags.GroupAware"/> the service is asked in passes over the registry's root (with
    /// <see cref="ShrinkControl.Group"/> the root) and in passes over groups where its shrinker's bit is set; it cannot set
    /// bits itself (it never sees its <see cref="Shrinker"/>), so a holder that charges objects to child groups should
    /// allocate its shrinker with <see cref="ShrinkerRegistry.Alloc(string, ShrinkerFlags)"/> and use a
    /// <see cref="Lru.ListLru{T}"/>, as <see cref="ShrinkableCache{TKey, TValue}"/> does.
    /// </remarks>
    /// <typeparam name="T">The service holding the objects.</typeparam>
    /// <param name="services">The services to add to.</param>
    /// <param name="name">The shrinker's name, as diagnostics show it (<c>name-id</c>).</param>
    /// <param name="flags">Whether the service keeps its objects per node (<see cref="ShrinkControl.Node"/>), per group, or both.</param>
    /// <param name="seeks">The cost of re-creating an object (<see cref="Shrinker.Seeks"/>).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space, or <typeparamref name="T"/> was already added as a shrinker (two shrinkers over one service would reclaim it twice).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seeks"/> is negative, or <paramref name="flags"/> has bits that are not a <see cref="ShrinkerFlags"/> value.</exception>
    public static IServiceCollection AddShrinker<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IServiceCollection services, string name, ShrinkerFlags flags = ShrinkerFlags.None, int seeks = Shrinker.DefaultSeeks)
        where T : class, IShrinkable
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegative(seeks);
        if ((flags & ~(ShrinkerFlags.NodeAware | ShrinkerFlags.GroupAware)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(flags), flags, "Only ShrinkerFlags.NodeAware and ShrinkerFlags.GroupAware may be set.");
        }

        if (services.Any(static d => d.ServiceType == typeof(HostedShrinker) && d.ImplementationInstance is ShrinkableRegistration r && r.ServiceType == typeof(T)))
        {
            throw new ArgumentException($"{typeof(T).Name} was already added as a shrinker; a service has one shrinker.", nameof(services));
        }

        AddShrinkerHosting(services);
        services.TryAddSingleton<T>();
        services.AddSingleton<HostedShrinker>(new ShrinkableRegistration(typeof(T), name.Trim(), flags, seeks));
        return services;
    }

    /// <summary>The registry and the service that brings the container's shrinkers up and down, once.</summary>
    private static void AddShrinkerHosting(IServiceCollection services)
    {
        AddRegistry(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ShrinkerRegistrationService>());
    }
}
