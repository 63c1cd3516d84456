using System.Text;

namespace Attest.GoModules.Tests;

/// <summary>Reads txtar archives (golang.org/x/tools/txtar): a comment, then <c>-- name --</c> sections.</summary>
internal sealed class Txtar
{
    public required string Comment { get; init; }
    public required IReadOnlyList<(string Name, byte[] Data)> Files { get; init; }

    public static Txtar Load(string path) => Parse(File.ReadAllBytes(path));

    public static Txtar Parse(byte[] data)
    {
        var files = new List<(string, byte[])>();
        var comment = new StringBuilder();
        string? name = null;
        var content = new MemoryStream();
        var pos = 0;
        while (pos < data.Length)
        {
            var end = Array.IndexOf(data, (byte)'\n', pos);
            var lineEnd = end < 0 ? data.Length : end + 1;
            var line = data.AsSpan(pos, lineEnd - pos);
            var text = Encoding.UTF8.GetString(line).TrimEnd('\n');
            if (text.StartsWith("-- ", StringComparison.Ordinal) && text.EndsWith(" --", StringComparison.Ordinal) && text.Length >= 6)
            {
                if (name is not null) files.Add((name, content.ToArray()));
                name = text[3..^3].Trim();
                content = new MemoryStream();
            }
            else if (name is null)
            {
                comment.Append(Encoding.Latin1.GetString(line));
            }
            else
            {
                content.Write(line);
            }
            pos = lineEnd;
        }
        if (name is not null) files.Add((name, content.ToArray()));
        // txtar: a non-empty section always ends in a newline.
        for (var i = 0; i < files.Count; i++)
            if (files[i].Item2 is { Length: > 0 } d && d[^1] != (byte)'\n') files[i] = (files[i].Item1, [.. d, (byte)'\n']);
        return new Txtar { Comment = comment.ToString(), Files = files };
    }

    /// <summary><c>key=value</c> lines of the comment (values decoded as UTF-8 where possible).</summary>
    public string? Header(string key)
    {
        foreach (var line in Comment.Split('\n'))
            if (line.StartsWith(key + "=", StringComparison.Ordinal))
            {
                var raw = Encoding.Latin1.GetBytes(line[(key.Length + 1)..]);
                var value = Encoding.UTF8.GetString(raw);
                var hashComment = value.IndexOf("  #", StringComparison.Ordinal);
                return (hashComment >= 0 ? value[..hashComment] : value).TrimEnd();
            }
        return null;
    }
}
