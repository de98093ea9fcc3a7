using Microsoft.Extensions.Hosting;

namespace Reclaim.Hosting.Internal;

/// <summary>
/// Brings up the shrinkers registered with <c>AddShrinker</c> and <c>AddShrinkableCache</c> when the host starts, on
/// the container's <see cref="ShrinkerRegistry"/>, and frees the ones it allocated when the host stops: after
/// <see cref="StopAsync"/> has returned no callback into an <see cref="IShrinkable"/> service runs or ever will (unless
/// the host's shutdown token fired first while a callback was running: no new call starts even then, and the shrinker
/// finishes freeing on its own when that call returns).
/// Shrinkable caches own their shrinkers and free them when the container disposes them.
/// </summary>
internal sealed class ShrinkerRegistrationService(IEnumerable<HostedShrinker> registrations, ShrinkerRegistry registry, IServiceProvider services)
    : IHostedService
{
    // Start and stop are called by the host one after the other, never at once.
    private readonly List<Shrinker> _allocated = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (HostedShrinker registration in registrations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (registration.Start(services, registry) is { } shrinker)
                {
                    _allocated.Add(shrinker);
                }
            }
        }
        catch
        {
            FreeAll();
            throw;
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_allocated.Count == 0)
        {
            return;
        }

        // Each free stops new calls at once and then waits for the calls in flight. The frees are not cancelled with the
        // token: when it fires first, only this wait ends, and a shrinker still in a call finishes freeing on its own
        // when the call returns. Nothing is left to do about it here, so the cancellation is not thrown into the host.
        var freeing = new Task[_allocated.Count];
        for (int i = 0; i < freeing.Length; i++)
        {
            freeing[i] = _allocated[i].FreeAsync(CancellationToken.None);
        }

        _allocated.Clear();
        await Task.WhenAll(freeing).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void FreeAll()
    {
        foreach (Shrinker shrinker in _allocated)
        {
            shrinker.Free();
        }

        _allocated.Clear();
    }
}
