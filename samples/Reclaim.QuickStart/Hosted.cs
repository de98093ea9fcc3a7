using Microsoft.Extensions.Hosting;
using Reclaim.Hosting;

namespace Reclaim.QuickStart;

/// <summary>The README's hosting snippet: the same cache and reclaimer from dependency injection.</summary>
internal static class Hosted
{
    public static IHost Build(string[] args)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddReclaim();                                      // options from "Reclaim", validated at start
        builder.Services.AddShrinkableCache<string, byte[]>("thumbnails", options =>
            options.Weigher = static (key, value) => value.Length + 64);    // inject ShrinkableCache<string, byte[]>
        return builder.Build();                                             // the reclaimer starts and stops with the host
    }
}
