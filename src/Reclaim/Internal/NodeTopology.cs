using System.Globalization;

namespace Reclaim.Internal;

/// <summary>The machine's NUMA nodes, as Linux lists them in <c>/sys/devices/system/node/online</c>.</summary>
internal static class NodeTopology
{
    public const string OnlineNodesPath = "/sys/devices/system/node/online";

    private static readonly Lazy<int> s_onlineNodeCount = new(ReadOnlineNodeCount);

    /// <summary>How many node ids the machine uses (the highest online node + 1, as the kernel's <c>nr_node_ids</c>); 1 where unknown.</summary>
    public static int OnlineNodeCount => s_onlineNodeCount.Value;

    /// <summary>
    /// Parses a kernel CPU/node list (<c>0</c>, <c>0-3</c>, <c>0,2-3</c>) into the highest id + 1. Returns false for
    /// anything else, including ids beyond <paramref name="maxCount"/>.
    /// </summary>
    public static bool TryParseNodeList(ReadOnlySpan<char> text, int maxCount, out int count)
    {
        count = 0;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        int highest = -1;
        foreach (Range part in text.Split(','))
        {
            ReadOnlySpan<char> range = text[part].Trim();
            int dash = range.IndexOf('-');
            ReadOnlySpan<char> first = dash < 0 ? range : range[..dash];
            ReadOnlySpan<char> last = dash < 0 ? range : range[(dash + 1)..];
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int low) ||
                !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int high) ||
                low > high || high >= maxCount)
            {
                return false;
            }

            highest = Math.Max(highest, high);
        }

        count = highest + 1;
        return true;
    }

    private static int ReadOnlineNodeCount()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists(OnlineNodesPath) &&
                TryParseNodeList(File.ReadAllText(OnlineNodesPath), ShrinkerRegistry.MaxNodeCount, out int count))
            {
                return count;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 1;
    }
}
