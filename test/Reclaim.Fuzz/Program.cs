using Reclaim.Fuzz;
using SharpFuzz;

// Reclaim.Fuzz <target> [afl | libfuzzer | replay <file or directory>...]
// afl (default): afl-fuzz runs this process and feeds it inputs through SharpFuzz's out-of-process loop.
// libfuzzer: libfuzzer-dotnet runs it. replay: runs the target once per file (no fuzzer).
// Reclaim.Fuzz <target>:libfuzzer: the same as one argument, as libfuzzer-dotnet's --target_arg passes it.
// Reclaim.Fuzz replay-all <corpus directory>: each target over its own corpus/<target> folder.
if (args.Length == 1 && args[0].EndsWith(":libfuzzer", StringComparison.Ordinal))
{
    args = [args[0][..^":libfuzzer".Length], "libfuzzer"];
}

if (args.Length >= 2 && args[0] == "replay-all")
{
    return Targets.ReplayAll(args[1], Console.Out);
}

if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out ReadOnlySpanAction? target))
{
    await Console.Error.WriteLineAsync($"usage: Reclaim.Fuzz <{string.Join('|', Targets.All.Keys)}> [afl | libfuzzer | replay <path>...]").ConfigureAwait(false);
    return 2;
}

switch (args.ElementAtOrDefault(1))
{
    case "libfuzzer":
        Fuzzer.LibFuzzer.Run(target);
        return 0;
    case "replay":
        return FuzzReplay.Run(target, args.Skip(2), Console.Out);
    default:
        Fuzzer.OutOfProcess.Run(stream => target(FuzzReplay.ReadAll(stream)));
        return 0;
}
