using System.Buffers;
using System.Text.Json;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Protocol;

/// <summary>
/// The debug endpoint's wire protocol: each request and each response is one line of UTF-8 JSON ending in <c>\n</c>.
/// See the package README for every command, its fields and its answer.
/// </summary>
/// <remarks>
/// A request is <c>{"v":1,"cmd":"&lt;command&gt;", ...fields}</c>. A response is <c>{"v":1,"ok":true,"result":{...}}</c>
/// or <c>{"v":1,"ok":false,"error":{"code":"&lt;code&gt;","message":"..."}}</c>. Responses come in the order of the
/// requests, one for each. Everything here is a pure function and safe to call from any thread.
/// </remarks>
public static partial class DiagnosticProtocol
{
    /// <summary>The protocol version this package writes and reads.</summary>
    public const int Version = 1;

    /// <summary>The <c>bytes</c> value of <c>set-group</c> that means no limit (<see cref="MemoryGroup.Unlimited"/>), as cgroup files write it.</summary>
    public const string Unlimited = "max";

    /// <summary>The protocol versions this package speaks.</summary>
    public static IReadOnlyList<int> SupportedVersions { get; } = [Version];

    /// <summary>The wire name of a command (<c>list</c>, <c>drop-caches</c>, <c>set-group</c>, ...).</summary>
    /// <param name="command">The command.</param>
    /// <returns>Its name on the wire.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="command"/> is not a <see cref="DiagnosticCommand"/>.</exception>
    public static string ToWireName(DiagnosticCommand command) => command switch
    {
        DiagnosticCommand.List => "list",
        DiagnosticCommand.Count => "count",
        DiagnosticCommand.Scan => "scan",
        DiagnosticCommand.DropCaches => "drop-caches",
        DiagnosticCommand.Groups => "groups",
        DiagnosticCommand.SetGroup => "set-group",
        DiagnosticCommand.Stat => "stat",
        DiagnosticCommand.Version => "version",
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not a DiagnosticCommand."),
    };

    /// <summary>The wire name of an error code (<c>bad_request</c>, <c>not_found</c>, ...); client-side codes have names too, never sent.</summary>
    /// <param name="code">The code.</param>
    /// <returns>Its name on the wire.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is not a <see cref="DiagnosticErrorCode"/>.</exception>
    public static string ToWireName(DiagnosticErrorCode code) => code switch
    {
        DiagnosticErrorCode.BadRequest => "bad_request",
        DiagnosticErrorCode.UnsupportedVersion => "unsupported_version",
        DiagnosticErrorCode.NotFound => "not_found",
        DiagnosticErrorCode.InvalidArgument => "invalid_argument",
        DiagnosticErrorCode.ReadOnly => "read_only",
        DiagnosticErrorCode.Busy => "busy",
        DiagnosticErrorCode.Timeout => "timeout",
        DiagnosticErrorCode.Internal => "internal",
        DiagnosticErrorCode.Unknown => "unknown",
        DiagnosticErrorCode.EndpointNotFound => "endpoint_not_found",
        DiagnosticErrorCode.ConnectionFailed => "connection_failed",
        DiagnosticErrorCode.InvalidResponse => "invalid_response",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Not a DiagnosticErrorCode."),
    };

    /// <summary>The code a wire name stands for; <see cref="DiagnosticErrorCode.Unknown"/> for a name this package does not know.</summary>
    /// <param name="wireName">The wire name.</param>
    /// <returns>The code.</returns>
    public static DiagnosticErrorCode ParseErrorCode(string? wireName) => wireName switch
    {
        "bad_request" => DiagnosticErrorCode.BadRequest,
        "unsupported_version" => DiagnosticErrorCode.UnsupportedVersion,
        "not_found" => DiagnosticErrorCode.NotFound,
        "invalid_argument" => DiagnosticErrorCode.InvalidArgument,
        "read_only" => DiagnosticErrorCode.ReadOnly,
        "busy" => DiagnosticErrorCode.Busy,
        "timeout" => DiagnosticErrorCode.Timeout,
        "internal" => DiagnosticErrorCode.Internal,
        _ => DiagnosticErrorCode.Unknown,
    };

    /// <summary>
    /// Writes a request as its JSON line, without the ending <c>\n</c>: <c>v</c> and <c>cmd</c>, then every field that
    /// is set (<see langword="null"/> fields are left out), non-ASCII characters escaped so the line is plain ASCII.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <returns>The UTF-8 bytes of the JSON object.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><see cref="DiagnosticRequest.Shrinker"/> is not valid UTF-16 (a lone surrogate).</exception>
    public static byte[] SerializeRequest(DiagnosticRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber(Fields.Version, request.ProtocolVersion);
            writer.WriteString(Fields.Command, ToWireName(request.Command));
            if (request.Shrinker is not null)
            {
                writer.WriteString(Fields.Shrinker, request.Shrinker);
            }

            WriteIfSet(writer, Fields.Group, request.Group);
            WriteIfSet(writer, Fields.Node, request.Node);
            WriteIfSet(writer, Fields.NrToScan, request.NrToScan);
            if (request.Limit is { } limit)
            {
                writer.WriteString(Fields.Limit, limit == GroupLimitKind.High ? "high" : "max");
            }

            if (request.Bytes is { } bytes)
            {
                if (bytes == MemoryGroup.Unlimited)
                {
                    writer.WriteString(Fields.Bytes, Unlimited);
                }
                else
                {
                    writer.WriteNumber(Fields.Bytes, bytes);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteIfSet(Utf8JsonWriter writer, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
    }

    /// <summary>The field names of a request, as UTF-8.</summary>
    private static class Fields
    {
        public static ReadOnlySpan<byte> Version => "v"u8;

        public static ReadOnlySpan<byte> Command => "cmd"u8;

        public static ReadOnlySpan<byte> Shrinker => "shrinker"u8;

        public static ReadOnlySpan<byte> Group => "group"u8;

        public static ReadOnlySpan<byte> Node => "node"u8;

        public static ReadOnlySpan<byte> NrToScan => "nr_to_scan"u8;

        public static ReadOnlySpan<byte> Limit => "limit"u8;

        public static ReadOnlySpan<byte> Bytes => "bytes"u8;
    }
}
