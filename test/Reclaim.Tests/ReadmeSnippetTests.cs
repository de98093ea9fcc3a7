using System.Text.RegularExpressions;

namespace Reclaim.Tests;

/// <summary>
/// The documentation's code is compiled code: a fenced block after <c>&lt;!-- snippet: path --&gt;</c> in a markdown file
/// must be that file of the repository, word for word (the file is in a project the solution builds).
/// </summary>
public partial class ReadmeSnippetTests
{
    private static readonly string Root = FindRoot();

    public static TheoryData<string> MarkdownFiles()
    {
        var data = new TheoryData<string>();
        foreach (string file in new[] { "README.md" }
                     .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Root, f)))
                     .Concat(Directory.GetFiles(Path.Combine(Root, "src"), "README.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f)))
                     .Concat(Directory.GetFiles(Path.Combine(Root, "samples"), "README.md", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f))))
        {
            data.Add(file.Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Snippets_AreTheirSourceFilesWordForWord(string markdownFile)
    {
        string markdown = Normalize(File.ReadAllText(Path.Combine(Root, markdownFile)));

        foreach (Match snippet in SnippetPattern().Matches(markdown))
        {
            string source = snippet.Groups["path"].Value;
            string path = Path.Combine(Root, source);
            Assert.True(File.Exists(path), $"{markdownFile} shows {source}, which does not exist");
            Assert.True(
                Normalize(File.ReadAllText(path)).TrimEnd() == snippet.Groups["code"].Value.TrimEnd(),
                $"{markdownFile}'s block for {source} is not that file: copy the file into the block (or the block into the file)");
        }
    }

    [Fact]
    public void Readme_QuickStart_IsTheCompiledQuickStartProject()
    {
        string readme = Normalize(File.ReadAllText(Path.Combine(Root, "README.md")));

        string[] sources = [.. SnippetPattern().Matches(readme).Select(m => m.Groups["path"].Value)];

        Assert.Contains("samples/Reclaim.QuickStart/Program.cs", sources);
        Assert.Contains("samples/Reclaim.QuickStart/Hosted.cs", sources);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Reclaim.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Reclaim.slnx above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"<!-- snippet: (?<path>[^ ]+) -->\n```[a-z]*\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex SnippetPattern();
}
