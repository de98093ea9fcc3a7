using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Reclaim.Tool.Output;

/// <summary>
/// <c>--json</c>: the endpoint's answer as it came (the protocol's snake_case <c>result</c> object, see the
/// Reclaim.Diagnostics README), indented, on standard output, with nothing else there.
/// </summary>
internal static class JsonOutput
{
    private static readonly JsonWriterOptions s_options = new()
    {
        Indented = true,
        // Output for scripts, not for a web page: no need to escape '<', '&' or non-ASCII characters.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="element"/> and a line break.</summary>
    /// <param name="writer">Standard output.</param>
    /// <param name="element">The JSON.</param>
    public static void Write(TextWriter writer, JsonElement element) => Write(writer, json => element.WriteTo(json));

    /// <summary>Writes what <paramref name="write"/> writes and a line break.</summary>
    /// <param name="writer">Standard output.</param>
    /// <param name="write">Writes one JSON value.</param>
    public static void Write(TextWriter writer, Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            write(json);
        }

        writer.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        writer.Flush();
    }
}
