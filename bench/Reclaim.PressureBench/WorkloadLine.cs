using System.Globalization;

namespace Reclaim.PressureBench;

/// <summary>One line the workload printed: its kind (the first word) and its <c>key=value</c> fields (values may be quoted).</summary>
/// <remarks>
/// The one reader of test/Reclaim.EndToEnd.Workload's output, compiled into the benchmark and (linked) into
/// test/Reclaim.EndToEnd.Tests. <see cref="Get"/>, <see cref="Long"/> and <see cref="Double"/> tolerate a missing field
/// (a run that died prints less); the <c>Required</c> forms throw, naming the line, where a missing field is a failure.
/// </remarks>
internal sealed class WorkloadLine
{
    private readonly Dictionary<string, string> _fields;

    private WorkloadLine(string kind, Dictionary<string, string> fields, string text)
    {
        Kind = kind;
        _fields = fields;
        Text = text;
    }

    /// <summary>The first word: <c>start</c>, <c>sample</c>, <c>summary</c>, <c>limit_lowered</c>, ...</summary>
    public string Kind { get; }

    /// <summary>The line as printed.</summary>
    public string Text { get; }

    /// <summary>Parses <c>kind key=value key="value with spaces" ...</c>; words without a value are skipped.</summary>
    public static WorkloadLine Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        string kind = space < 0 ? text : text[..space];
        int i = space < 0 ? text.Length : space + 1;
        while (i < text.Length)
        {
            int equals = text.IndexOf('=', i);
            int nextSpace = text.IndexOf(' ', i);
            if (equals < 0 || (nextSpace >= 0 && nextSpace < equals))
            {
                i = nextSpace < 0 ? text.Length : nextSpace + 1;
                continue;
            }

            string key = text[i..equals];
            int start = equals + 1;
            int end;
            string value;
            if (start < text.Length && text[start] == '"')
            {
                end = text.IndexOf('"', start + 1);
                end = end < 0 ? text.Length : end;
                value = text[(start + 1)..end];
                end = Math.Min(text.Length, end + 1);
            }
            else
            {
                end = text.IndexOf(' ', start);
                end = end < 0 ? text.Length : end;
                value = text[start..end];
            }

            if (key.Length > 0)
            {
                fields[key] = value;
            }

            i = end + 1;
        }

        return new WorkloadLine(kind, fields, text);
    }

    public bool Has(string key) => _fields.ContainsKey(key);

    /// <summary>The field's text, or null.</summary>
    public string? Get(string key) => _fields.TryGetValue(key, out string? value) ? value : null;

    /// <summary>The field as a whole number, or <paramref name="missing"/> when absent or not a number.</summary>
    public long Long(string key, long missing = -1) =>
        Get(key) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : missing;

    /// <summary>The field as a number, or <paramref name="missing"/> when absent or not a number.</summary>
    public double Double(string key, double missing = double.NaN) =>
        Get(key) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : missing;

    /// <summary>The field's text; <see cref="KeyNotFoundException"/>, naming the line, when absent.</summary>
    public string Required(string key) =>
        Get(key) ?? throw new KeyNotFoundException($"No '{key}' in line: {Text}");

    /// <summary>The field as a whole number; throws when absent or not a number.</summary>
    public long RequiredLong(string key) => long.Parse(Required(key), NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>The field as a number; throws when absent or not a number.</summary>
    public double RequiredDouble(string key) => double.Parse(Required(key), NumberStyles.Float, CultureInfo.InvariantCulture);

    public override string ToString() => Text;
}
