using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Reclaim.Diagnostics.Internal;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Protocol;

// The request parser: bytes in, a request or an error out, never an exception. It reads the line once with a
// Utf8JsonReader (no reflection, no document), remembers each field, then checks in a fixed order so that the error a
// client gets does not depend on the order of its fields: the version first (a request of another version may have
// other fields), then malformed fields, unknown fields, the command, the fields the command needs, the ranges.
public static partial class DiagnosticProtocol
{
    /// <summary>How deep a request may nest (a request is flat; unknown fields may hold small values).</summary>
    private const int MaxDepth = 16;

    /// <summary>The most characters of a client's text (a field or command name) quoted back in an error message.</summary>
    private const int MaxQuoted = 64;

    private const string Example = "{\"v\":1,\"cmd\":\"list\"}";

    [Flags]
    private enum Field
    {
        None = 0,
        Version = 1,
        Command = 2,
        Shrinker = 4,
        Group = 8,
        Node = 16,
        NrToScan = 32,
        Limit = 64,
        Bytes = 128,
    }

    /// <summary>
    /// Parses one request line. A pure function: it never throws, whatever the bytes, and gives either a request whose
    /// fields are exactly those its command needs, or the error to answer with.
    /// </summary>
    /// <param name="line">
    /// The line's bytes, without the ending <c>\n</c> (a trailing <c>\r</c>, white space and a leading UTF-8 byte order
    /// mark are allowed).
    /// </param>
    /// <param name="request">The request, when the line is one.</param>
    /// <param name="error">
    /// Otherwise why not: <see cref="DiagnosticErrorCode.BadRequest"/> (not JSON, not an object, a field missing,
    /// repeated, unknown or of the wrong type, an unknown command), <see cref="DiagnosticErrorCode.UnsupportedVersion"/>
    /// (a <c>v</c> other than <see cref="Version"/>), or <see cref="DiagnosticErrorCode.InvalidArgument"/> (a negative
    /// number, a node above <see cref="int.MaxValue"/>).
    /// </param>
    /// <returns>Whether the line is a request.</returns>
    public static bool TryParseRequest(
        ReadOnlySpan<byte> line,
        [NotNullWhen(true)] out DiagnosticRequest? request,
        [NotNullWhen(false)] out DiagnosticError? error)
    {
        try
        {
            request = ParseCore(line, out error);
        }
        catch (JsonException ex)
        {
            // Malformed JSON, trailing data after the object, nesting deeper than MaxDepth, invalid UTF-8.
            request = null;
            error = BadRequest(
                $"The request is not one valid JSON object (at byte {ex.BytePositionInLine?.ToString(CultureInfo.InvariantCulture) ?? "?"}); send one object per line, such as {Example}.");
        }
        catch (InvalidOperationException)
        {
            // GetString on a string whose escapes are not valid UTF-16 (a lone surrogate such as "\ud800").
            request = null;
            error = BadRequest("A string in the request is not valid Unicode (a lone surrogate escape).");
        }

        return request is not null;
    }

    private static DiagnosticRequest? ParseCore(ReadOnlySpan<byte> line, out DiagnosticError? error)
    {
        line = TrimLine(line);
        if (line.IsEmpty)
        {
            error = BadRequest($"The request is empty; send one JSON object per line, such as {Example}.");
            return null;
        }

        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = BadRequest($"A request is one JSON object, such as {Example}.");
            return null;
        }

        var raw = default(RawRequest);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadField(ref reader, ref raw);
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            error = BadRequest($"A request is one JSON object, such as {Example}.");
            return null;
        }

        return Validate(ref raw, out error);
    }

    /// <summary>Reads one field (the reader is on its name) and leaves the reader on the last token of its value.</summary>
    private static void ReadField(ref Utf8JsonReader reader, ref RawRequest raw)
    {
        Field field = Identify(ref reader);
        if (field == Field.None)
        {
            raw.Unknown ??= Quote(reader.GetString());
            reader.Skip();
            return;
        }

        if ((raw.Seen & field) != 0)
        {
            raw.FieldError ??= BadRequest($"The field '{Name(field)}' appears more than once.");
            reader.Skip();
            return;
        }

        raw.Seen |= field;
        reader.Read();
        switch (field)
        {
            case Field.Version:
                if (!TryReadInteger(ref reader, out long version) || version is < int.MinValue or > int.MaxValue)
                {
                    raw.VersionError = BadRequest($"The field 'v' is the protocol version, an integer; this server speaks {Version}.");
                }

                raw.Version = (int)version;
                break;
            case Field.Command:
                raw.Command = ReadString(ref reader, field, ref raw);
                break;
            case Field.Shrinker:
                raw.Shrinker = ReadString(ref reader, field, ref raw);
                break;
            case Field.Group:
                raw.Group = ReadInteger(ref reader, field, ref raw);
                break;
            case Field.Node:
                raw.Node = ReadInteger(ref reader, field, ref raw);
                break;
            case Field.NrToScan:
                raw.NrToScan = ReadInteger(ref reader, field, ref raw);
                break;
            case Field.Limit:
                raw.Limit = ReadString(ref reader, field, ref raw) switch
                {
                    "high" => GroupLimitKind.High,
                    "max" => GroupLimitKind.Max,
                    _ => null,
                };
                if (raw.Limit is null)
                {
                    raw.FieldError ??= BadRequest("The field 'limit' is \"high\" or \"max\".");
                }

                break;
            case Field.Bytes:
                if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(Unlimited))
                {
                    raw.Bytes = MemoryGroup.Unlimited;
                }
                else
                {
                    raw.Bytes = ReadInteger(ref reader, field, ref raw);
                }

                break;
        }
    }

    private static DiagnosticRequest? Validate(ref RawRequest raw, out DiagnosticError? error)
    {
        error = raw.VersionError;
        if (error is null && (raw.Seen & Field.Version) == 0)
        {
            error = BadRequest($"The request has no 'v' (the protocol version); write {{\"v\":{Version},\"cmd\":...}}.");
        }

        if (error is null && raw.Version != Version)
        {
            error = new DiagnosticError(
                DiagnosticErrorCode.UnsupportedVersion,
                $"Protocol version {raw.Version} is not supported; this server speaks version {Version}.");
        }

        error ??= raw.FieldError;
        if (error is null && raw.Unknown is not null)
        {
            error = BadRequest($"The request has an unknown field '{raw.Unknown}'.");
        }

        if (error is null && (raw.Seen & Field.Command) == 0)
        {
            error = BadRequest($"The request has no 'cmd'; the commands are {CommandList}.");
        }

        if (error is not null)
        {
            return null;
        }

        DiagnosticCommand? command = ParseCommand(raw.Command!);
        if (command is not { } cmd)
        {
            error = BadRequest($"Unknown command '{Quote(raw.Command)}'; the commands are {CommandList}.");
            return null;
        }

        Field needed = FieldsOf(cmd);
        Field missing = needed & ~raw.Seen;
        if (missing != 0)
        {
            error = BadRequest($"The command '{ToWireName(cmd)}' needs the field '{Name(Lowest(missing))}' ({Usage(cmd)}).");
            return null;
        }

        Field extra = raw.Seen & ~(needed | Field.Version | Field.Command);
        if (extra != 0)
        {
            error = BadRequest($"The field '{Name(Lowest(extra))}' does not belong to the command '{ToWireName(cmd)}' ({Usage(cmd)}).");
            return null;
        }

        error = CheckRange("group", raw.Group, long.MaxValue)
            ?? CheckRange("node", raw.Node, int.MaxValue)
            ?? CheckRange("nr_to_scan", raw.NrToScan, long.MaxValue)
            ?? CheckRange("bytes", raw.Bytes, long.MaxValue);
        if (error is not null)
        {
            return null;
        }

        return DiagnosticRequest.Create(cmd) with
        {
            ProtocolVersion = raw.Version,
            Shrinker = raw.Shrinker,
            Group = raw.Group,
            Node = raw.Node is { } node ? (int)node : null,
            NrToScan = raw.NrToScan,
            Limit = raw.Limit,
            Bytes = raw.Bytes,
        };
    }

    private static DiagnosticError? CheckRange(string name, long? value, long max) =>
        value is { } v && (v < 0 || v > max)
            ? new DiagnosticError(DiagnosticErrorCode.InvalidArgument, $"The field '{name}' must be from 0 to {max.ToString(CultureInfo.InvariantCulture)}; it is {v.ToString(CultureInfo.InvariantCulture)}.")
            : null;

    private static Field Identify(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("v"u8) ? Field.Version
        : reader.ValueTextEquals("cmd"u8) ? Field.Command
        : reader.ValueTextEquals("shrinker"u8) ? Field.Shrinker
        : reader.ValueTextEquals("group"u8) ? Field.Group
        : reader.ValueTextEquals("node"u8) ? Field.Node
        : reader.ValueTextEquals("nr_to_scan"u8) ? Field.NrToScan
        : reader.ValueTextEquals("limit"u8) ? Field.Limit
        : reader.ValueTextEquals("bytes"u8) ? Field.Bytes
        : Field.None;

    private static string? ReadString(ref Utf8JsonReader reader, Field field, ref RawRequest raw)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        raw.FieldError ??= BadRequest($"The field '{Name(field)}' is a string.");
        reader.Skip();
        return null;
    }

    private static long? ReadInteger(ref Utf8JsonReader reader, Field field, ref RawRequest raw)
    {
        if (TryReadInteger(ref reader, out long value))
        {
            return value;
        }

        raw.FieldError ??= BadRequest($"The field '{Name(field)}' is an integer from 0 to {long.MaxValue.ToString(CultureInfo.InvariantCulture)}.");
        return null;
    }

    private static bool TryReadInteger(ref Utf8JsonReader reader, out long value)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value))
        {
            return true;
        }

        value = 0;
        reader.Skip();
        return false;
    }

    private static DiagnosticCommand? ParseCommand(string name) => name switch
    {
        "list" => DiagnosticCommand.List,
        "count" => DiagnosticCommand.Count,
        "scan" => DiagnosticCommand.Scan,
        "drop-caches" => DiagnosticCommand.DropCaches,
        "groups" => DiagnosticCommand.Groups,
        "set-group" => DiagnosticCommand.SetGroup,
        "stat" => DiagnosticCommand.Stat,
        "version" => DiagnosticCommand.Version,
        _ => null,
    };

    private const string CommandList = "list, count, scan, drop-caches, groups, set-group, stat and version";

    private static Field FieldsOf(DiagnosticCommand command) => command switch
    {
        DiagnosticCommand.Count => Field.Shrinker,
        DiagnosticCommand.Scan => Field.Shrinker | Field.Group | Field.Node | Field.NrToScan,
        DiagnosticCommand.SetGroup => Field.Group | Field.Limit | Field.Bytes,
        _ => Field.None,
    };

    private static string Usage(DiagnosticCommand command) => command switch
    {
        DiagnosticCommand.Count => "{\"v\":1,\"cmd\":\"count\",\"shrinker\":\"name-id\"}",
        DiagnosticCommand.Scan => "{\"v\":1,\"cmd\":\"scan\",\"shrinker\":\"name-id\",\"group\":0,\"node\":0,\"nr_to_scan\":128}",
        DiagnosticCommand.SetGroup => "{\"v\":1,\"cmd\":\"set-group\",\"group\":2,\"limit\":\"high\",\"bytes\":1048576 or \"max\"}",
        _ => $"{{\"v\":1,\"cmd\":\"{ToWireName(command)}\"}}",
    };

    private static string Name(Field field) => field switch
    {
        Field.Version => "v",
        Field.Command => "cmd",
        Field.Shrinker => "shrinker",
        Field.Group => "group",
        Field.Node => "node",
        Field.NrToScan => "nr_to_scan",
        Field.Limit => "limit",
        Field.Bytes => "bytes",
        _ => field.ToString(),
    };

    private static Field Lowest(Field fields) => (Field)((int)fields & -(int)fields);

    private static DiagnosticError BadRequest(string message) => new(DiagnosticErrorCode.BadRequest, message);

    /// <summary>A client's text, cut to <see cref="MaxQuoted"/> characters, for an error message.</summary>
    private static string Quote(string? text) => Text.Cut(text, MaxQuoted);

    /// <summary>Drops a leading UTF-8 byte order mark and trailing white space (a <c>\r</c> of a CRLF line).</summary>
    private static ReadOnlySpan<byte> TrimLine(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        return line.TrimEnd(" \t\r\n"u8).TrimStart(" \t\r\n"u8);
    }

    /// <summary>The fields of a request as read, before they are checked.</summary>
    private struct RawRequest
    {
        public Field Seen;
        public int Version;
        public DiagnosticError? VersionError;
        public DiagnosticError? FieldError;
        public string? Unknown;
        public string? Command;
        public string? Shrinker;
        public long? Group;
        public long? Node;
        public long? NrToScan;
        public GroupLimitKind? Limit;
        public long? Bytes;
    }
}
