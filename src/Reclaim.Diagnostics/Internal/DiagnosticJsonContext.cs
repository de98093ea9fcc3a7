using System.Text.Json.Serialization;
using Reclaim.Diagnostics.Protocol;

namespace Reclaim.Diagnostics.Internal;

/// <summary>The source-generated (reflection-free) serializers of every result, with snake_case names.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    MaxDepth = 16)]
[JsonSerializable(typeof(ShrinkerListResult))]
[JsonSerializable(typeof(ShrinkerCountResult))]
[JsonSerializable(typeof(ShrinkerScanResult))]
[JsonSerializable(typeof(DropCachesResult))]
[JsonSerializable(typeof(GroupListResult))]
[JsonSerializable(typeof(GroupInfo))]
[JsonSerializable(typeof(StatResult))]
[JsonSerializable(typeof(VersionResult))]
internal sealed partial class DiagnosticJsonContext : JsonSerializerContext;
