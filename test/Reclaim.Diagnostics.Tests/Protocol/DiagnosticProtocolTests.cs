using System.Text;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Tests.Protocol;

/// <summary>The request parser and writer, case by case (the properties are in <see cref="DiagnosticProtocolPropertyTests"/>).</summary>
public class DiagnosticProtocolTests
{
    public static TheoryData<string, DiagnosticRequest> ValidRequests => new()
    {
        { """{"v":1,"cmd":"list"}""", DiagnosticRequest.List() },
        { """{"v":1,"cmd":"count","shrinker":"cache-3"}""", DiagnosticRequest.Count("cache-3") },
        { """{"v":1,"cmd":"scan","shrinker":"cache-3","group":5,"node":1,"nr_to_scan":128}""", DiagnosticRequest.Scan("cache-3", 5, 1, 128) },
        { """{"nr_to_scan":0,"node":0,"group":0,"shrinker":"a b-1","cmd":"scan","v":1}""", DiagnosticRequest.Scan("a b-1", 0, 0, 0) },
        { """{"v":1,"cmd":"drop-caches"}""", DiagnosticRequest.DropCaches() },
        { """{"v":1,"cmd":"groups"}""", DiagnosticRequest.Groups() },
        { """{"v":1,"cmd":"set-group","group":2,"limit":"high","bytes":1048576}""", DiagnosticRequest.SetGroup(2, GroupLimitKind.High, 1048576) },
        { """{"v":1,"cmd":"set-group","group":2,"limit":"max","bytes":"max"}""", DiagnosticRequest.SetGroup(2, GroupLimitKind.Max, MemoryGroup.Unlimited) },
        { """{"v":1,"cmd":"stat"}""", DiagnosticRequest.Stat() },
        { """{"v":1,"cmd":"version"}""", DiagnosticRequest.Version() },
        { "\uFEFF {\"v\":1, \"cmd\" : \"list\"}\t\r", DiagnosticRequest.List() },
        { """{"\u0076":1,"cmd":"\u006cist"}""", DiagnosticRequest.List() },
        { """{"v":1,"cmd":"count","shrinker":"caf\u00e9-\ud83d\ude00-1"}""", DiagnosticRequest.Count("café-😀-1") },
    };

    [Theory]
    [MemberData(nameof(ValidRequests))]
    public void TryParseRequest_Valid_TheRequest(string line, DiagnosticRequest expected)
    {
        Assert.True(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(line), out DiagnosticRequest? request, out DiagnosticError? error), error?.Message);
        Assert.Equal(expected, request);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("[]", "one JSON object")]
    [InlineData("42", "one JSON object")]
    [InlineData("{", "not one valid JSON object")]
    [InlineData("""{"v":1,"cmd":"list"} {"v":1,"cmd":"list"}""", "not one valid JSON object")]
    [InlineData("""{"v":1,"cmd":"list"}x""", "not one valid JSON object")]
    [InlineData("""{"v":1,"cmd":"list",}""", "not one valid JSON object")]
    [InlineData("""{'v':1}""", "not one valid JSON object")]
    [InlineData("""{"v":1,"cmd":"list" /* hi */}""", "not one valid JSON object")]
    [InlineData("""{"cmd":"list"}""", "no 'v'")]
    [InlineData("""{"v":"1","cmd":"list"}""", "'v' is the protocol version")]
    [InlineData("""{"v":1.5,"cmd":"list"}""", "'v' is the protocol version")]
    [InlineData("""{"v":1}""", "no 'cmd'")]
    [InlineData("""{"v":1,"cmd":"List"}""", "Unknown command 'List'")]
    [InlineData("""{"v":1,"cmd":7}""", "'cmd' is a string")]
    [InlineData("""{"v":1,"cmd":"list","cmd":"stat"}""", "'cmd' appears more than once")]
    [InlineData("""{"v":1,"cmd":"list","verbose":true}""", "unknown field 'verbose'")]
    [InlineData("""{"v":1,"cmd":"list","x":{"y":[1,2,{"z":null}]}}""", "unknown field 'x'")]
    [InlineData("""{"v":1,"cmd":"count"}""", "needs the field 'shrinker'")]
    [InlineData("""{"v":1,"cmd":"count","shrinker":null}""", "'shrinker' is a string")]
    [InlineData("""{"v":1,"cmd":"count","shrinker":["a"]}""", "'shrinker' is a string")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":0}""", "needs the field 'nr_to_scan'")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":0,"nr_to_scan":1.5}""", "'nr_to_scan' is an integer")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":0,"nr_to_scan":"5"}""", "'nr_to_scan' is an integer")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":0,"nr_to_scan":1e3}""", "'nr_to_scan' is an integer")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":0,"nr_to_scan":99999999999999999999}""", "'nr_to_scan' is an integer")]
    [InlineData("""{"v":1,"cmd":"list","node":0}""", "'node' does not belong to the command 'list'")]
    [InlineData("""{"v":1,"cmd":"set-group","group":2,"limit":"low","bytes":1}""", "'limit' is \"high\" or \"max\"")]
    [InlineData("""{"v":1,"cmd":"set-group","group":2,"limit":"high","bytes":"unlimited"}""", "'bytes' is an integer")]
    [InlineData("""{"v":1,"cmd":"count","shrinker":"\ud800"}""", "not valid Unicode")]
    public void TryParseRequest_Malformed_BadRequestSayingWhat(string line, string says)
    {
        Assert.False(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(line), out DiagnosticRequest? request, out DiagnosticError? error));
        Assert.Null(request);
        Assert.Equal(DiagnosticErrorCode.BadRequest, error.Code);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"v":2,"cmd":"list"}""")]
    [InlineData("""{"v":0}""")]
    [InlineData("""{"cmd":"whatever","extra":[1],"v":-3,"cmd":"again"}""")]
    public void TryParseRequest_OtherVersion_UnsupportedVersionWhateverTheOtherFields(string line)
    {
        Assert.False(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(line), out _, out DiagnosticError? error));
        Assert.Equal(DiagnosticErrorCode.UnsupportedVersion, error.Code);
        Assert.Equal("unsupported_version", error.WireCode);
    }

    [Theory]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":-1,"node":0,"nr_to_scan":1}""", "'group'")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":-1,"nr_to_scan":1}""", "'node'")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":2147483648,"nr_to_scan":1}""", "'node'")]
    [InlineData("""{"v":1,"cmd":"scan","shrinker":"a-1","group":0,"node":0,"nr_to_scan":-5}""", "'nr_to_scan'")]
    [InlineData("""{"v":1,"cmd":"set-group","group":2,"limit":"high","bytes":-1}""", "'bytes'")]
    public void TryParseRequest_NumberOutOfRange_InvalidArgument(string line, string field)
    {
        Assert.False(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(line), out _, out DiagnosticError? error));
        Assert.Equal(DiagnosticErrorCode.InvalidArgument, error.Code);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseRequest_InvalidUtf8OrDeepNesting_BadRequest()
    {
        byte[] invalidUtf8 = [.. """{"v":1,"cmd":"count","shrinker":"""u8, 0x22, 0xC3, 0x28, 0x22, 0x7D];
        string deep = """{"v":1,"cmd":"list","x":""" + new string('[', 100) + new string(']', 100) + "}";

        Assert.False(DiagnosticProtocol.TryParseRequest(invalidUtf8, out _, out DiagnosticError? utf8));
        Assert.False(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(deep), out _, out DiagnosticError? nested));

        Assert.Equal(DiagnosticErrorCode.BadRequest, utf8.Code);
        Assert.Equal(DiagnosticErrorCode.BadRequest, nested.Code);
    }

    [Fact]
    public void TryParseRequest_LongUnknownName_QuotedCut()
    {
        string line = $$"""{"v":1,"cmd":"list","{{new string('n', 500)}}":1}""";

        Assert.False(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(line), out _, out DiagnosticError? error));
        Assert.True(error.Message.Length < 200, error.Message);
    }

    [Fact]
    public void SerializeRequest_Scan_CanonicalLine()
    {
        Assert.Equal(
            """{"v":1,"cmd":"scan","shrinker":"cache-3","group":0,"node":1,"nr_to_scan":128}""",
            Encoding.UTF8.GetString(DiagnosticProtocol.SerializeRequest(DiagnosticRequest.Scan("cache-3", 0, 1, 128))));
        Assert.Equal(
            """{"v":1,"cmd":"set-group","group":4,"limit":"max","bytes":"max"}""",
            Encoding.UTF8.GetString(DiagnosticProtocol.SerializeRequest(DiagnosticRequest.SetGroup(4, GroupLimitKind.Max, MemoryGroup.Unlimited))));
    }

    [Fact]
    public void SerializeRequest_NonAsciiAndControlCharacters_EscapedOnOneAsciiLine()
    {
        byte[] line = DiagnosticProtocol.SerializeRequest(DiagnosticRequest.Count("a\nb\u2028é😀\"-1"));

        Assert.All(line, b => Assert.InRange(b, 0x20, 0x7E));
        Assert.True(DiagnosticProtocol.TryParseRequest(line, out DiagnosticRequest? back, out _));
        Assert.Equal("a\nb\u2028é😀\"-1", back.Shrinker);
    }

    [Fact]
    public void Factories_BadArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => DiagnosticRequest.Count(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiagnosticRequest.Scan("a-1", -1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiagnosticRequest.Scan("a-1", 0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiagnosticRequest.Scan("a-1", 0, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiagnosticRequest.SetGroup(1, (GroupLimitKind)7, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiagnosticRequest.SetGroup(1, GroupLimitKind.High, -1));
    }

    [Theory]
    [InlineData(DiagnosticErrorCode.BadRequest, "bad_request")]
    [InlineData(DiagnosticErrorCode.UnsupportedVersion, "unsupported_version")]
    [InlineData(DiagnosticErrorCode.NotFound, "not_found")]
    [InlineData(DiagnosticErrorCode.InvalidArgument, "invalid_argument")]
    [InlineData(DiagnosticErrorCode.ReadOnly, "read_only")]
    [InlineData(DiagnosticErrorCode.Busy, "busy")]
    [InlineData(DiagnosticErrorCode.Timeout, "timeout")]
    [InlineData(DiagnosticErrorCode.Internal, "internal")]
    public void ErrorCodes_WireNames_RoundTrip(DiagnosticErrorCode code, string wire)
    {
        Assert.Equal(wire, DiagnosticProtocol.ToWireName(code));
        Assert.Equal(code, DiagnosticProtocol.ParseErrorCode(wire));
    }

    [Fact]
    public void ErrorCodes_UnknownWireName_Unknown() =>
        Assert.Equal(DiagnosticErrorCode.Unknown, DiagnosticProtocol.ParseErrorCode("teapot"));
}
