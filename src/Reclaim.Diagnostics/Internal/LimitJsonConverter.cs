using System.Text.Json;
using System.Text.Json.Serialization;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Internal;

/// <summary>A group limit on the wire: a number of bytes, or <c>"max"</c> for <see cref="MemoryGroup.Unlimited"/>.</summary>
internal sealed class LimitJsonConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(DiagnosticProtocol.Unlimited))
        {
            return MemoryGroup.Unlimited;
        }

        return reader.GetInt64();
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value == MemoryGroup.Unlimited)
        {
            writer.WriteStringValue(DiagnosticProtocol.Unlimited);
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }
}
