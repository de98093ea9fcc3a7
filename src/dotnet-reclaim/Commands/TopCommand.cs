using Reclaim.Diagnostics;
using Reclaim.Tool.Targets;
using Reclaim.Tool.Top;
using Spectre.Console;

namespace Reclaim.Tool.Commands;

/// <summary>
/// <c>top</c>: a live view of every shrinker in the spirit of <c>slabtop</c>, refreshed in place. On an interactive
/// terminal it takes the whole screen (the alternate screen buffer, given back on exit), and <c>o f d e t</c> change the
/// sort, <c>q</c> or Ctrl+C quit; elsewhere (output piped, or a test's console) it prints one frame per refresh, as
/// <c>top -b</c> does.
/// </summary>
internal sealed class TopCommand(ToolContext context)
{
    private static readonly TimeSpan s_keyPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>Runs the view until <c>q</c>, Ctrl+C, or <see cref="TopOptions.Iterations"/> refreshes.</summary>
    /// <param name="target">The process.</param>
    /// <param name="options">Interval, sort and iterations.</param>
    /// <param name="cancellationToken">Ctrl+C: quits cleanly.</param>
    /// <returns><see cref="ExitCode.Success"/> when quit by any of those.</returns>
    public async Task<ExitCode> RunAsync(TargetOptions target, TopOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using ReclaimDiagnosticClient client = await TargetResolver.ConnectAsync(context, target, cancellationToken).ConfigureAwait(false);
        var sampler = new TopSampler(client, context.Time);

        // The first reading before the screen is taken: a failure is then an ordinary one-line error.
        TopSnapshot first = await sampler.SampleAsync(cancellationToken).ConfigureAwait(false);
        IAnsiConsole console = context.Console;
        bool interactive = console.Profile.Capabilities.Interactive;
        var view = new View(context, sampler, options, first, interactive);
        try
        {
            if (interactive && console.Profile.Capabilities.Ansi)
            {
                await RunLiveAsync(console, view, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await view.RunBatchAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: as q. The live display and the alternate screen were given back on the way out.
        }

        return ExitCode.Success;
    }

    private static async Task RunLiveAsync(IAnsiConsole console, View view, CancellationToken cancellationToken)
    {
        bool fullScreen = console.Profile.Capabilities.AlternateBuffer;
        if (fullScreen)
        {
            // The alternate screen buffer, as full-screen programs use it: what was on the terminal comes back on exit.
            console.Write(new ControlCode("\u001b[?1049h\u001b[H"));
        }

        try
        {
            await console.Live(view.Render())
                .AutoClear(fullScreen)
                .Overflow(VerticalOverflow.Ellipsis)
                .Cropping(VerticalOverflowCropping.Bottom)
                .StartAsync(live => view.RunLiveAsync(live, cancellationToken))
                .ConfigureAwait(false);
        }
        finally
        {
            if (fullScreen)
            {
                console.Write(new ControlCode("\u001b[?1049l"));
            }
        }
    }

    /// <summary>The state of one run: the last two readings, the sort, how many refreshes were shown.</summary>
    private sealed class View(ToolContext context, TopSampler sampler, TopOptions options, TopSnapshot first, bool interactive)
    {
        private TopSnapshot _current = first;
        private TopFrame _frame = TopFrame.Create(null, first, options.Sort, options.Interval, interactive, context.Time);
        private int _shown = 1;

        private bool Done => options.Iterations is { } n && _shown >= n;

        public Spectre.Console.Rendering.IRenderable Render() => TopView.Render(_frame);

        public async Task RunLiveAsync(LiveDisplayContext live, CancellationToken cancellationToken)
        {
            live.Refresh();
            while (!Done)
            {
                if (!await WaitAsync(() => { live.UpdateTarget(Render()); live.Refresh(); }, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                await NextAsync(cancellationToken).ConfigureAwait(false);
                live.UpdateTarget(Render());
                live.Refresh();
            }
        }

        public async Task RunBatchAsync(CancellationToken cancellationToken)
        {
            context.Console.Write(Render());
            while (!Done)
            {
                await Task.Delay(options.Interval, context.Time, cancellationToken).ConfigureAwait(false);
                await NextAsync(cancellationToken).ConfigureAwait(false);
                context.Console.WriteLine();
                context.Console.Write(Render());
            }
        }

        private async Task NextAsync(CancellationToken cancellationToken)
        {
            TopSnapshot next = await sampler.SampleAsync(cancellationToken).ConfigureAwait(false);
            _frame = TopFrame.Create(_current, next, _frame.Sort, options.Interval, interactive, context.Time);
            _current = next;
            _shown++;
        }

        /// <summary>Waits for the next refresh, reading keys meanwhile: a sort key re-sorts at once; false when the user quits.</summary>
        private async Task<bool> WaitAsync(Action redraw, CancellationToken cancellationToken)
        {
            IAnsiConsoleInput input = context.Console.Input;
            long start = context.Time.GetTimestamp();
            while (true)
            {
                while (interactive && input.IsKeyAvailable())
                {
                    if (input.ReadKey(intercept: true) is not { } key)
                    {
                        break;
                    }

                    if (key.KeyChar is 'q' or 'Q' || key.Key == ConsoleKey.Escape)
                    {
                        return false;
                    }

                    if (TopSorts.FromKey(key.KeyChar) is { } sort && sort != _frame.Sort)
                    {
                        _frame = _frame.SortedBy(sort);
                        redraw();
                    }
                }

                TimeSpan left = options.Interval - context.Time.GetElapsedTime(start);
                if (left <= TimeSpan.Zero)
                {
                    return true;
                }

                await Task.Delay(interactive && left > s_keyPoll ? s_keyPoll : left, context.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
