using System.Globalization;
using System.Text;
using Reclaim.Units;

namespace Reclaim.Tool.Tests.Fuzz;

/// <summary>
/// The size-limit fuzz corpus of test/Reclaim.Fuzz (seeds and what afl-fuzz found), replayed through
/// <see cref="ByteSize"/> on every test run with the properties SizeLimitTarget checks, so the corpus cannot rot.
/// </summary>
public sealed class ByteSizeFuzzCorpusTests
{
    [Fact]
    public void Corpus_EveryInput_HoldsTheTargetsProperties()
    {
        string[] inputs = Directory.GetFiles(Path.Combine(FindRoot(), "test", "Reclaim.Fuzz", "corpus", "size-limit"));
        Assert.True(inputs.Length >= 9, $"only {inputs.Length} corpus inputs for size-limit");
        foreach (string input in inputs)
        {
            byte[] bytes = File.ReadAllBytes(input);
            if (bytes.Length <= 4096)
            {
                Check(Encoding.UTF8.GetString(bytes));
            }
        }
    }

    /// <summary>As SizeLimitTarget: no exception; a refusal quotes the text; sizes and limits agree but for max; written back, read back.</summary>
    private static void Check(string text)
    {
        bool isMax = text.Trim().Equals("max", StringComparison.OrdinalIgnoreCase);
        bool sizeOk = ByteSize.TryParse(text, out long size, out string? sizeError);
        CheckResult(text, sizeOk, size, sizeError);
        bool limitOk = ByteSize.TryParseLimit(text, out long limit, out string? limitError);
        CheckResult(text, limitOk, limit, limitError);
        if (isMax)
        {
            Assert.False(sizeOk);
            Assert.True(limitOk);
            Assert.Equal(ByteSize.Unlimited, limit);
            return;
        }

        Assert.Equal((sizeOk, size), (limitOk, limit));
        if (!sizeOk)
        {
            return;
        }

        Assert.InRange(size, 0, ByteSize.Unlimited - 1);
        Assert.True(ByteSize.TryParse(size.ToString(CultureInfo.InvariantCulture), out long decimalBack, out _));
        Assert.Equal(size, decimalBack);
        Assert.True(ByteSize.TryParse("0x" + size.ToString("x", CultureInfo.InvariantCulture), out long hexBack, out _));
        Assert.Equal(size, hexBack);
        Assert.Equal(ByteSize.Format(size), ByteSize.FormatLimit(size));

        string formatted = ByteSize.Format(size);
        long tolerance = (size / 20) + 1;
        if (ByteSize.TryParse(formatted, out long back, out string? backError))
        {
            Assert.True(Math.Abs(back - size) <= tolerance, $"'{text}' is {size} bytes, formatted '{formatted}', read back as {back}");
        }
        else
        {
            Assert.True(size >= ByteSize.Unlimited - tolerance, $"'{text}' is {size} bytes, formatted '{formatted}', not read back: {backError}");
            Assert.Contains("too large", backError, StringComparison.Ordinal);
        }
    }

    private static void CheckResult(string text, bool ok, long bytes, string? error)
    {
        if (ok)
        {
            Assert.Null(error);
            Assert.True(bytes >= 0, $"'{text}' read as {bytes}");
        }
        else
        {
            Assert.Equal(0, bytes);
            Assert.Contains($"'{text}'", error, StringComparison.Ordinal);
        }
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Reclaim.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Reclaim.slnx above {AppContext.BaseDirectory}");
    }
}
