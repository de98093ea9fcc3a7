using System.Text;
using CsCheck;
using Reclaim.Diagnostics.Protocol;
using Reclaim.Groups;

namespace Reclaim.Diagnostics.Tests.Protocol;

/// <summary>
/// Properties of the parser, checked on generated input (CsCheck; a failure prints the seed to replay it):
/// every request survives serialize → parse; any bytes whatever give a request or a protocol error, never an
/// exception; what parses, serializes back to itself; the order of fields does not matter.
/// </summary>
public class DiagnosticProtocolPropertyTests
{
    private const long Iterations = 3_000;

    private static readonly DiagnosticErrorCode[] s_parserCodes =
        [DiagnosticErrorCode.BadRequest, DiagnosticErrorCode.UnsupportedVersion, DiagnosticErrorCode.InvalidArgument];

    /// <summary>Any well-formed UTF-16 string, biased towards the characters that need escaping.</summary>
    private static readonly Gen<string> s_name = Gen.Frequency(
        (4, Gen.String),
        (2, Gen.Char["abc-_ \"\\\n\t\u0000\u001f\u007f\u2028é€😀"].Array[0, 20].Select(c => new string(c))),
        (1, Gen.Const("cache-3")))
        .Where(IsWellFormed);

    private static readonly Gen<long> s_count = Gen.Frequency(
        (3, Gen.Long[0, 1000]),
        (1, Gen.Long[0, long.MaxValue]),
        (1, Gen.Const(long.MaxValue)));

    private static readonly Gen<DiagnosticRequest> s_request = Gen.OneOf(
        Gen.Const(DiagnosticRequest.List()),
        s_name.Select(DiagnosticRequest.Count),
        Gen.Select(s_name, s_count, Gen.Int[0, int.MaxValue], s_count, DiagnosticRequest.Scan),
        Gen.Const(DiagnosticRequest.DropCaches()),
        Gen.Const(DiagnosticRequest.Groups()),
        Gen.Select(s_count, Gen.OneOf(Gen.Const(GroupLimitKind.High), Gen.Const(GroupLimitKind.Max)), Gen.Frequency((3, s_count), (1, Gen.Const(MemoryGroup.Unlimited))), DiagnosticRequest.SetGroup),
        Gen.Const(DiagnosticRequest.Stat()),
        Gen.Const(DiagnosticRequest.Version()));

    [Fact]
    public void Request_SerializeThenParse_SameRequest() =>
        s_request.Sample(request =>
        {
            byte[] line = DiagnosticProtocol.SerializeRequest(request);
            Assert.True(DiagnosticProtocol.TryParseRequest(line, out DiagnosticRequest? parsed, out DiagnosticError? error), error?.Message);
            Assert.Equal(request, parsed);
            Assert.DoesNotContain((byte)'\n', line);
        }, iter: Iterations);

    [Fact]
    public void RandomBytes_Parse_RequestOrProtocolErrorNeverAnException() =>
        Gen.Byte.Array[0, 300].Sample(AssertParsesSafely, iter: Iterations);

    [Fact]
    public void RandomJsonLikeText_Parse_RequestOrProtocolErrorNeverAnException() =>
        Gen.Char["{}[]\":,0123456789-.eE vcmdshrinkergrouplnt_\\u\"truefalsenullmaxhigh"].Array[0, 120]
            .Select(c => Encoding.UTF8.GetBytes(c))
            .Sample(AssertParsesSafely, iter: Iterations);

    [Fact]
    public void MutatedRequests_Parse_RequestOrProtocolErrorNeverAnException() =>
        Gen.Select(s_request, Gen.Int[1, 8].SelectMany(n => Mutation.Array[n]))
            .Sample((request, mutations) =>
            {
                byte[] line = DiagnosticProtocol.SerializeRequest(request);
                foreach (Mutation mutation in mutations)
                {
                    line = mutation.Apply(line);
                }

                AssertParsesSafely(line);
            }, iter: Iterations);

    [Fact]
    public void Fields_AnyOrder_SameRequest() =>
        Gen.Select(s_request, Gen.Int).Sample((request, seed) =>
        {
            byte[] line = DiagnosticProtocol.SerializeRequest(request);
            using var document = System.Text.Json.JsonDocument.Parse(line);
            var fields = document.RootElement.EnumerateObject().Select(p => p.Name + "\":" + p.Value.GetRawText()).ToList();
            var random = new Random(seed);
            string shuffled = "{\"" + string.Join(",\"", fields.OrderBy(_ => random.Next())) + "}";

            Assert.True(DiagnosticProtocol.TryParseRequest(Encoding.UTF8.GetBytes(shuffled), out DiagnosticRequest? parsed, out _));
            Assert.Equal(request, parsed);
        }, iter: Iterations);

    [Fact]
    public void AnyRequest_WithAFieldOfAnotherCommand_BadRequest() =>
        Gen.Select(s_request, Gen.Int[0, 3]).Sample((request, which) =>
        {
            DiagnosticRequest extra = which switch
            {
                0 => request.Shrinker is null ? request with { Shrinker = "x-1" } : request with { Limit = GroupLimitKind.High },
                1 => request.Node is null ? request with { Node = 0 } : request with { Bytes = 1 },
                2 => request.Group is null ? request with { Group = 1 } : request with { Shrinker = request.Shrinker is null ? "x-1" : null },
                _ => request.NrToScan is null ? request with { NrToScan = 1 } : request with { Limit = GroupLimitKind.Max },
            };

            bool ok = DiagnosticProtocol.TryParseRequest(DiagnosticProtocol.SerializeRequest(extra), out _, out DiagnosticError? error);
            Assert.False(ok, $"accepted {Encoding.UTF8.GetString(DiagnosticProtocol.SerializeRequest(extra))}");
            Assert.Equal(DiagnosticErrorCode.BadRequest, error!.Code);
        }, iter: Iterations);

    [Fact]
    public void FuzzCorpus_EveryInput_RequestOrProtocolErrorNeverAnException()
    {
        string[] inputs = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus"));

        foreach (string input in inputs)
        {
            AssertParsesSafely(File.ReadAllBytes(input));
        }

        Assert.True(inputs.Length >= 9, $"only {inputs.Length} corpus inputs were copied to the test output");
    }

    /// <summary>Parses without throwing; a request parsed from any bytes serializes to a line that parses to the same request.</summary>
    private static void AssertParsesSafely(byte[] line)
    {
        if (DiagnosticProtocol.TryParseRequest(line, out DiagnosticRequest? request, out DiagnosticError? error))
        {
            Assert.True(DiagnosticProtocol.TryParseRequest(DiagnosticProtocol.SerializeRequest(request), out DiagnosticRequest? again, out _));
            Assert.Equal(request, again);
        }
        else
        {
            Assert.Contains(error.Code, s_parserCodes);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    private static bool IsWellFormed(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One byte-level edit of a line: what a fuzzer does, on purpose.</summary>
    private sealed record Mutation(int Kind, int Position, byte Value, int Length)
    {
        private static readonly byte[] s_interesting = "{}[]\",:\\ 0-1eE.nulltruefalse\u0000\n\r"u8.ToArray();

        public static Gen<Mutation> Gen { get; } = CsCheck.Gen.Select(CsCheck.Gen.Int[0, 6], CsCheck.Gen.Int[0, 1000], CsCheck.Gen.Byte, CsCheck.Gen.Int[1, 16], (k, p, v, l) => new Mutation(k, p, v, l));

        public static GenArray<Mutation> Array => Gen.Array;

        public byte[] Apply(byte[] line)
        {
            int at = line.Length == 0 ? 0 : Position % (line.Length + 1);
            List<byte> bytes = [.. line];
            switch (Kind)
            {
                case 0 when at < bytes.Count:
                    bytes[at] = Value; // overwrite with any byte
                    break;
                case 1:
                    bytes.Insert(at, s_interesting[Value % s_interesting.Length]); // insert a JSON-significant byte
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveRange(at, Math.Min(Length, bytes.Count - at)); // delete a run
                    break;
                case 3 when at < bytes.Count:
                    bytes.InsertRange(at, bytes.GetRange(at, Math.Min(Length, bytes.Count - at))); // duplicate a run
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at); // truncate
                    break;
                case 5 when at < bytes.Count:
                    bytes[at] ^= (byte)(1 << (Value % 8)); // flip a bit
                    break;
                default:
                    bytes.Insert(at, Value); // insert any byte
                    break;
            }

            return [.. bytes];
        }
    }
}
