using System.Globalization;
using Reclaim.Internal;

namespace Reclaim.Fuzz;

/// <summary>A kernel node list (<c>/sys/devices/system/node/online</c>: <c>0</c>, <c>0-3</c>, <c>0,2-3</c>): <see cref="NodeTopology.TryParseNodeList"/>.</summary>
/// <remarks>
/// Properties: never throws; an accepted list gives a count of 1 up to the most allowed; the list still parses with
/// exactly that many allowed and not with one fewer; the count written back as <c>0-N</c> reads back the same; a
/// refusal gives 0.
/// </remarks>
internal static class NodeListTarget
{
    private const int MaxCount = ShrinkerRegistry.MaxNodeCount;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > Targets.MaxInput)
        {
            return;
        }

        string text = Targets.Decode(input);
        if (!NodeTopology.TryParseNodeList(text, MaxCount, out int count))
        {
            Targets.Check(count == 0, "a refused list gives 0", text);
            return;
        }

        Targets.Check(count is >= 1 and <= MaxCount, "the count is 1..MaxNodeCount", text);
        Targets.Check(NodeTopology.TryParseNodeList(text, count, out int again) && again == count, "the list fits exactly count ids", text);
        Targets.Check(!NodeTopology.TryParseNodeList(text, count - 1, out _), "the list does not fit one id fewer", text);
        string written = count == 1 ? "0\n" : string.Create(CultureInfo.InvariantCulture, $"0-{count - 1}\n");
        Targets.Check(NodeTopology.TryParseNodeList(written, MaxCount, out int back) && back == count, "the count written back reads back", text);
    }
}
