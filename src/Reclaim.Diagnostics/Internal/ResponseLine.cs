using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Internal;

/// <summary>
/// The response envelope: <c>{"v":1,"ok":true,"result":{...}}</c> or <c>{"v":1,"ok":false,"error":{"code":...,"message":...}}</c>,
/// one line of UTF-8 ending in <c>\n</c>. Every encoder escapes control characters, so no <c>\n</c> occurs inside; the
/// relaxed one leaves quotes, apostrophes and non-ASCII letters readable (the answer is never embedded in HTML).
/// </summary>
internal static class ResponseLine
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Success<T>(T result, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v"u8, DiagnosticProtocol.Version);
            writer.WriteBoolean("ok"u8, true);
            writer.WritePropertyName("result"u8);
            JsonSerializer.Serialize(writer, result, typeInfo);
            writer.WriteEndObject();
        }

        return Terminate(buffer);
    }

    public static byte[] Failure(DiagnosticError error)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v"u8, DiagnosticProtocol.Version);
            writer.WriteBoolean("ok"u8, false);
            writer.WriteStartObject("error"u8);
            writer.WriteString("code"u8, error.WireCode);
            writer.WriteString("message"u8, error.Message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Terminate(buffer);
    }

    public static byte[] Failure(DiagnosticErrorCode code, string message) => Failure(new DiagnosticError(code, message));

    /// <summary>
    /// Reads a response line: its result element (a clone, owned by the caller) or the server's error. Throws
    /// <see cref="ReclaimDiagnosticException"/> (<see cref="DiagnosticErrorCode.InvalidResponse"/>) for a line that is not a response.
    /// </summary>
    public static JsonElement Parse(ReadOnlySpan<byte> line, out DiagnosticError? error)
    {
        error = null;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 64 });
            using var document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("v"u8, out JsonElement v) || v.ValueKind != JsonValueKind.Number ||
                !root.TryGetProperty("ok"u8, out JsonElement ok) || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw Invalid("it is not a response object with 'v' and 'ok'");
            }

            if (!v.TryGetInt32(out int version) || version != DiagnosticProtocol.Version)
            {
                throw Invalid($"it is of protocol version {v.GetRawText()}, this client speaks {DiagnosticProtocol.Version}");
            }

            if (ok.GetBoolean())
            {
                return root.TryGetProperty("result"u8, out JsonElement result)
                    ? result.Clone()
                    : throw Invalid("it has no 'result'");
            }

            if (!root.TryGetProperty("error"u8, out JsonElement e) || e.ValueKind != JsonValueKind.Object ||
                !e.TryGetProperty("code"u8, out JsonElement code) || code.ValueKind != JsonValueKind.String)
            {
                throw Invalid("it has no 'error' with a 'code'");
            }

            string wireCode = code.GetString()!;
            string message = e.TryGetProperty("message"u8, out JsonElement m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()!
                : wireCode;
            DiagnosticErrorCode parsed = DiagnosticProtocol.ParseErrorCode(wireCode);
            error = new DiagnosticError(parsed, parsed == DiagnosticErrorCode.Unknown ? $"{wireCode}: {message}" : message);
            return default;
        }
        catch (JsonException ex)
        {
            throw Invalid($"it is not valid JSON ({ex.Message})", ex);
        }
    }

    private static ReclaimDiagnosticException Invalid(string why, Exception? inner = null) =>
        new(DiagnosticErrorCode.InvalidResponse, $"The endpoint's answer is not a response of this protocol: {why}.", inner);

    private static byte[] Terminate(ArrayBufferWriter<byte> buffer)
    {
        byte[] line = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }
}
