using Reclaim.Diagnostics.Fuzz;
using Reclaim.Fuzz;
using SharpFuzz;

// afl (default): afl-fuzz runs this process and feeds it inputs through SharpFuzz's out-of-process loop.
// libfuzzer: libfuzzer-dotnet runs it. replay <file or directory>...: runs the target once per file (no fuzzer).
switch (args.FirstOrDefault())
{
    case "libfuzzer":
        Fuzzer.LibFuzzer.Run(ParserTarget.Run);
        return 0;
    case "replay":
        return FuzzReplay.Run(ParserTarget.Run, args.Skip(1), Console.Out);
    default:
        Fuzzer.OutOfProcess.Run(stream => ParserTarget.Run(FuzzReplay.ReadAll(stream)));
        return 0;
}
