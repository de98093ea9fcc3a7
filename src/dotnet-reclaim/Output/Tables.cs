using Spectre.Console;
using Spectre.Console.Rendering;

namespace Reclaim.Tool.Output;

/// <summary>The tool's tables: one style everywhere, and cells that are plain text (never parsed as markup).</summary>
internal static class Tables
{
    /// <summary>A table with these columns; a header starting with <c>&gt;</c> is a right-aligned (numeric) column.</summary>
    /// <param name="headers">The column headers.</param>
    /// <returns>The table.</returns>
    public static Table Create(params string[] headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var table = new Table().Border(TableBorder.Simple).BorderColor(Color.Grey);
        foreach (string header in headers)
        {
            bool numeric = header.StartsWith('>');
            string title = numeric ? header[1..] : header;
            var column = new TableColumn(new Text(title, new Style(decoration: Decoration.Bold)));
            table.AddColumn(numeric ? column.RightAligned() : column);
        }

        return table;
    }

    /// <summary>A cell of plain text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="style">Its style, or <see langword="null"/>.</param>
    /// <returns>The cell.</returns>
    public static IRenderable Cell(string text, Style? style = null) => style is null ? new Text(text) : new Text(text, style);

    /// <summary>Adds a row of plain-text cells.</summary>
    /// <param name="table">The table.</param>
    /// <param name="cells">The cells' text.</param>
    public static void AddTextRow(this Table table, params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(cells);
        table.AddRow(cells.Select(c => Cell(c)).ToArray());
    }
}
