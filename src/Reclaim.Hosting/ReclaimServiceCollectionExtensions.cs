using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Reclaim.Hosting.Internal;

namespace Reclaim.Hosting;

/// <summary>
/// Adds Reclaim to a host: the registry, the reclaimer and its hosted service (<c>AddReclaim</c>), and shrinkers whose
/// holders live in the container (<c>AddShrinker</c>, <c>AddShrinkableCache</c>).
/// </summary>
/// <remarks>
/// <para>
/// Every method may be called more than once: services are added with <c>TryAdd</c>, so one registered before (a
/// <see cref="ShrinkerRegistry"/> of your own, a <see cref="Reclaimer"/>) is kept, and the hosted services are added
/// once.
/// </para>
/// <para>
/// The registry is <see cref="ShrinkerRegistry.Default"/> unless the container already has one: caches and pools made
/// without the container register there too, so the hosted reclaimer reclaims them as well. Register your own registry
/// before calling these methods to keep a host's shrinkers apart (tests do).
/// </para>
/// </remarks>
public static partial class ReclaimServiceCollectionExtensions
{
    /// <summary>
    /// Adds background reclaim with options bound from the <c>Reclaim</c> configuration section
    /// (<see cref="ReclaimOptions.SectionName"/>) and validated when the host starts.
    /// </summary>
    /// <remarks>
    /// Registers, unless already there: the <see cref="ShrinkerRegistry"/> (<see cref="ShrinkerRegistry.Default"/>), a
    /// <see cref="Reclaimer"/> over it made from the <see cref="ReclaimOptions"/> (with the container's
    /// <see cref="TimeProvider"/> if it has one), and a hosted service that starts background reclaim with the host (when
    /// <see cref="ReclaimOptions.Enabled"/>), stops it with the host, logs pressure changes, runs and shrinker faults
    /// (categories <c>Reclaim.Reclaimer</c> and <c>Reclaim.Shrinker</c>) and publishes metrics on the <c>Reclaim</c>
    /// meter. Binding needs the container's <see cref="IConfiguration"/>, which every host provides.
    /// </remarks>
    /// <param name="services">The services to add to.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddReclaim(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddReclaimCore(services, ReclaimOptions.SectionName).BindConfiguration(ReclaimOptions.SectionName);
        return services;
    }

    /// <summary>
    /// Adds background reclaim as <see cref="AddReclaim(IServiceCollection)"/> does, then applies
    /// <paramref name="configure"/> after the <c>Reclaim</c> section is bound (so code overrides configuration).
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="configure">Sets options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddReclaim(this IServiceCollection services, Action<ReclaimOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddReclaim();
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Adds background reclaim as <see cref="AddReclaim(IServiceCollection)"/> does, with options bound from
    /// <paramref name="configuration"/> (a section such as <c>builder.Configuration.GetSection("Memory:Reclaim")</c>)
    /// instead of the <c>Reclaim</c> section; validation messages name the keys under its path.
    /// </summary>
    /// <param name="services">The services to add to.</param>
    /// <param name="configuration">The configuration whose keys are the options' names.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddReclaim(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        string path = configuration is IConfigurationSection section ? section.Path : string.Empty;
        AddReclaimCore(services, path).Bind(configuration);
        return services;
    }

    /// <summary>
    /// Everything but the binding: the options' path for messages (per call, the last one wins), then once per
    /// collection the validation, the registry, the reclaimer, the metrics and the hosted service.
    /// </summary>
    private static OptionsBuilder<ReclaimOptions> AddReclaimCore(IServiceCollection services, string configurationPath)
    {
        OptionsBuilder<ReclaimOptions> options = services.AddOptions<ReclaimOptions>();
        options.Configure(o => o.ConfigurationPath = configurationPath);
        if (services.Any(static d => d.ServiceType == typeof(IHostedService) && !d.IsKeyedService && d.ImplementationType == typeof(ReclaimHostedService)))
        {
            return options;
        }

        // Once only: data-annotations validation is not added idempotently (a second one would repeat every message).
        options.ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReclaimOptions>, ReclaimOptionsValidator>());
        AddRegistry(services);
        services.TryAddSingleton(CreateReclaimer);
        services.TryAddSingleton<ReclaimMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ReclaimHostedService>());
        return options;
    }

    private static Reclaimer CreateReclaimer(IServiceProvider services)
    {
        ReclaimOptions options = services.GetRequiredService<IOptions<ReclaimOptions>>().Value;
        return new Reclaimer(services.GetRequiredService<ShrinkerRegistry>(), options.ToReclaimerOptions(services.GetService<TimeProvider>()));
    }

    private static void AddRegistry(IServiceCollection services) => services.TryAddSingleton(ShrinkerRegistry.Default);
}
