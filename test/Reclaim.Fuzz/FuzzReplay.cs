using SharpFuzz;

namespace Reclaim.Fuzz;

/// <summary>Inputs run through a fuzz target without a fuzzer: a corpus or a crash file. Linked by every fuzz project.</summary>
internal static class FuzzReplay
{
    /// <summary>Runs the target on each file (directories: each file in them); returns 0, or 1 on the first crash.</summary>
    public static int Run(ReadOnlySpanAction target, IEnumerable<string> paths, TextWriter output)
    {
        int files = 0;
        foreach (string path in paths)
        {
            IEnumerable<string> inputs = Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories) : [path];
            foreach (string input in inputs)
            {
                try
                {
                    target(File.ReadAllBytes(input));
                }
#pragma warning disable CA1031 // Replay reports any crash, whatever it is.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    output.WriteLine($"crash: {input}: {ex}");
                    return 1;
                }

                files++;
            }
        }

        output.WriteLine($"replayed {files} input(s), no crash");
        return 0;
    }

    /// <summary>The whole of <paramref name="stream"/> (an input as afl hands it over).</summary>
    public static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
