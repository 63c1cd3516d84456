using System.Text;
using System.Text.RegularExpressions;
using Attest.Core;

namespace Attest.GoModules;

public sealed record GoModRequire(string Path, string Version, bool Indirect, int Line);

public sealed record GoModExclude(string Path, string Version, int Line);

/// <summary><c>replace OldPath [OldVersion] =&gt; NewPath [NewVersion]</c>; an empty <see cref="OldVersion"/> replaces every version.</summary>
public sealed record GoModReplace(string OldPath, string OldVersion, string NewPath, string NewVersion, int Line)
{
    /// <summary>The replacement is a directory (no version, no checksum possible).</summary>
    public bool IsLocal => NewVersion.Length == 0 && GoModFile.IsDirectoryPath(NewPath);
}

/// <summary><c>retract Low</c> or <c>retract [Low, High]</c> with the rationale comment.</summary>
public sealed record GoModRetract(string Low, string High, string Rationale, int Line);

/// <summary>A go.mod file read strictly (the golang.org/x/mod/modfile grammar): line and block forms of every
/// directive, quoted and raw-string paths, <c>//</c> comments and <c>// indirect</c>. Every problem is a finding
/// with line and column; parsing continues after an error.</summary>
public sealed partial class GoModFile
{
    public string? ModulePath { get; private set; }
    public string? GoVersion { get; private set; }
    public string? Toolchain { get; private set; }
    public List<GoModRequire> Requires { get; } = [];
    public List<GoModReplace> Replaces { get; } = [];
    public List<GoModExclude> Excludes { get; } = [];
    public List<GoModRetract> Retracts { get; } = [];
    public List<(string Key, string Value)> GoDebug { get; } = [];
    public List<Finding> Findings { get; } = [];

    private string _file = "go.mod";
    private int _maxFindings = 1000;

    private enum Kind { Word, LParen, RParen, LBracket, RBracket, Comma, Arrow }

    private readonly record struct Token(Kind Kind, string Text, int Column);

    private sealed record Line(int Number, List<Token> Tokens, string Comment);

    public static GoModFile Load(string path, GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var bytes = TextLines.ReadBounded(path, limits.MaxGoModBytes, out var error);
        if (bytes is null)
        {
            var failed = new GoModFile { _file = path };
            failed.Findings.Add(FindingFactory.Create(error!.Contains("limit", StringComparison.Ordinal) ? GoSumCodes.FileTooLarge : GoSumCodes.FileUnreadable,
                $"{path}: {error}", ("file", path)));
            return failed;
        }
        return Parse(bytes, path, limits);
    }

    public static GoModFile Parse(ReadOnlySpan<byte> content, string fileName = "go.mod", GoModulesLimits? limits = null)
    {
        var text = TextLines.Decode(content);
        if (text is null)
        {
            var failed = new GoModFile { _file = fileName };
            failed.Error(1, 1, "go.mod is not valid UTF-8");
            return failed;
        }
        return Parse(text, fileName, limits);
    }

    public static GoModFile Parse(string text, string fileName = "go.mod", GoModulesLimits? limits = null)
    {
        limits ??= GoModulesLimits.Default;
        var file = new GoModFile { _file = fileName, _maxFindings = limits.MaxFindingsPerFile };
        var lines = new List<Line>();
        foreach (var (number, raw) in TextLines.Split(text))
        {
            if (raw.Length > limits.MaxLineBytes)
            {
                file.Error(number, 1, $"line is longer than {limits.MaxLineBytes} characters");
                continue;
            }
            if (file.Tokenize(number, raw) is { } line) lines.Add(line);
        }
        file.ParseLines(lines);
        if (file.ModulePath is null) file.Findings.Add(FindingFactory.At(GoSumCodes.GoModDirective, "no module directive", fileName, 1, 1));
        return file;
    }

    private void Error(int line, int column, string message, string code = GoSumCodes.GoModSyntax)
    {
        if (Findings.Count < _maxFindings) Findings.Add(FindingFactory.At(code, message, _file, line, column));
    }

    private Line? Tokenize(int number, string raw)
    {
        var tokens = new List<Token>();
        var comment = "";
        var i = 0;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c is ' ' or '\t' or '\r') { i++; continue; }
            var column = i + 1;
            if (c == '/' && i + 1 < raw.Length && raw[i + 1] == '/') { comment = raw[(i + 2)..].Trim(); break; }
            if (c == '/' && i + 1 < raw.Length && raw[i + 1] == '*') { Error(number, column, "block comments are not supported in go.mod"); return null; }
            switch (c)
            {
                case '(': tokens.Add(new Token(Kind.LParen, "(", column)); i++; continue;
                case ')': tokens.Add(new Token(Kind.RParen, ")", column)); i++; continue;
                case '[': tokens.Add(new Token(Kind.LBracket, "[", column)); i++; continue;
                case ']': tokens.Add(new Token(Kind.RBracket, "]", column)); i++; continue;
                case ',': tokens.Add(new Token(Kind.Comma, ",", column)); i++; continue;
            }
            if (c == '=' && i + 1 < raw.Length && raw[i + 1] == '>') { tokens.Add(new Token(Kind.Arrow, "=>", column)); i += 2; continue; }
            if (c == '"')
            {
                if (!TryReadQuoted(raw, ref i, out var value)) { Error(number, column, "unterminated or invalid quoted string"); return null; }
                tokens.Add(new Token(Kind.Word, value, column));
                continue;
            }
            if (c == '`')
            {
                var end = raw.IndexOf('`', i + 1);
                if (end < 0) { Error(number, column, "unterminated raw string"); return null; }
                tokens.Add(new Token(Kind.Word, raw[(i + 1)..end], column));
                i = end + 1;
                continue;
            }
            var start = i;
            while (i < raw.Length && raw[i] is not (' ' or '\t' or '\r' or '(' or ')' or '[' or ']' or ',' or '"' or '`')
                   && !(raw[i] == '/' && i + 1 < raw.Length && raw[i + 1] is '/' or '*')
                   && !(raw[i] == '=' && i + 1 < raw.Length && raw[i + 1] == '>'))
                i++;
            tokens.Add(new Token(Kind.Word, raw[start..i], column));
        }
        return new Line(number, tokens, comment);
    }

    private static bool TryReadQuoted(string raw, ref int i, out string value)
    {
        var builder = new StringBuilder();
        value = "";
        i++;
        while (i < raw.Length)
        {
            var c = raw[i++];
            if (c == '"') { value = builder.ToString(); return true; }
            if (c != '\\') { builder.Append(c); continue; }
            if (i >= raw.Length) return false;
            var e = raw[i++];
            switch (e)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case 'x' or 'u' or 'U':
                    var digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > raw.Length || !int.TryParse(raw.AsSpan(i, digits), System.Globalization.NumberStyles.HexNumber, null, out var code)) return false;
                    if (e == 'x') { if (code > 0x7F) return false; builder.Append((char)code); }
                    else { if (!Rune.IsValid(code)) return false; builder.Append(char.ConvertFromUtf32(code)); }
                    i += digits;
                    break;
                default: return false;
            }
        }
        return false;
    }

    private void ParseLines(List<Line> lines)
    {
        for (var index = 0; index < lines.Count; index++)
        {
            var line = lines[index];
            var tokens = line.Tokens;
            if (tokens.Count == 0) continue;
            var verb = tokens[0];
            if (verb.Kind != Kind.Word) { Error(line.Number, verb.Column, $"unexpected '{verb.Text}'"); continue; }
            if (tokens.Count >= 2 && tokens[1].Kind == Kind.LParen)
            {
                if (tokens.Count > 2) { Error(line.Number, tokens[2].Column, "unexpected token after '('"); }
                if (verb.Text is "module" or "go" or "toolchain") Error(line.Number, verb.Column, $"{verb.Text} directive does not take a block");
                var closed = false;
                for (index++; index < lines.Count; index++)
                {
                    var inner = lines[index];
                    if (inner.Tokens.Count == 0) continue;
                    if (inner.Tokens[0].Kind == Kind.RParen)
                    {
                        if (inner.Tokens.Count > 1) Error(inner.Number, inner.Tokens[1].Column, "unexpected token after ')'");
                        closed = true;
                        break;
                    }
                    Directive(verb.Text, inner.Number, inner.Tokens, 0, inner.Comment, verb.Column);
                }
                if (!closed) Error(line.Number, tokens[1].Column, $"unterminated {verb.Text} block");
                continue;
            }
            Directive(verb.Text, line.Number, tokens, 1, line.Comment, verb.Column);
        }
    }

    private void Directive(string verb, int number, List<Token> tokens, int start, string comment, int verbColumn)
    {
        var args = tokens.Skip(start).ToList();
        var column = args.Count > 0 ? args[0].Column : verbColumn;
        switch (verb)
        {
            case "module":
                if (ModulePath is not null) { Error(number, verbColumn, "repeated module statement"); return; }
                if (!Words(args, 1, number, verbColumn, "usage: module module/path")) return;
                if (Attest.GoModules.ModulePath.CheckImportPath(args[0].Text) is { } moduleError) Error(number, column, moduleError);
                ModulePath = args[0].Text;
                return;
            case "go":
                if (GoVersion is not null) { Error(number, verbColumn, "repeated go statement"); return; }
                if (!Words(args, 1, number, verbColumn, "usage: go 1.23")) return;
                if (!GoVersionRegex().IsMatch(args[0].Text)) Error(number, column, $"invalid go version '{args[0].Text}': must match format 1.23.0");
                GoVersion = args[0].Text;
                return;
            case "toolchain":
                if (Toolchain is not null) { Error(number, verbColumn, "repeated toolchain statement"); return; }
                if (!Words(args, 1, number, verbColumn, "usage: toolchain go1.23.0")) return;
                if (args[0].Text != "default" && !(args[0].Text.StartsWith("go", StringComparison.Ordinal) && GoVersionRegex().IsMatch(args[0].Text[2..])))
                    Error(number, column, $"invalid toolchain version '{args[0].Text}': must match format go1.23.0 or default");
                Toolchain = args[0].Text;
                return;
            case "godebug":
                if (!Words(args, 1, number, verbColumn, "usage: godebug key=value")) return;
                var eq = args[0].Text.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) { Error(number, column, "usage: godebug key=value"); return; }
                GoDebug.Add((args[0].Text[..eq], args[0].Text[(eq + 1)..]));
                return;
            case "require":
            case "exclude":
                if (!Words(args, 2, number, verbColumn, $"usage: {verb} module/path v1.2.3")) return;
                if (!CheckModule(args[0], args[1], number)) return;
                if (verb == "require") Requires.Add(new GoModRequire(args[0].Text, args[1].Text, IsIndirect(comment), number));
                else Excludes.Add(new GoModExclude(args[0].Text, args[1].Text, number));
                return;
            case "replace":
                Replace(args, number, verbColumn);
                return;
            case "retract":
                Retract(args, number, verbColumn, comment);
                return;
            default:
                Error(number, verbColumn, $"unknown directive: {verb}", GoSumCodes.GoModDirective);
                return;
        }
    }

    private static bool IsIndirect(string comment)
    {
        if (comment == "indirect") return true;
        return comment.StartsWith("indirect;", StringComparison.Ordinal);
    }

    private bool Words(List<Token> args, int count, int number, int verbColumn, string usage)
    {
        if (args.Count == count && args.All(a => a.Kind == Kind.Word)) return true;
        Error(number, args.Count > 0 ? args[0].Column : verbColumn, usage);
        return false;
    }

    private bool CheckModule(Token path, Token version, int number)
    {
        var ok = true;
        if (Attest.GoModules.ModulePath.CheckImportPath(path.Text) is { } pathError) { Error(number, path.Column, pathError); ok = false; }
        if (!SemVer.IsValid(version.Text) || SemVer.CanonicalModuleVersion(version.Text) != version.Text)
        {
            Error(number, version.Column, $"{path.Text}@{version.Text}: invalid version: must be of the form v1.2.3");
            ok = false;
        }
        return ok;
    }

    private void Replace(List<Token> args, int number, int verbColumn)
    {
        const string usage = "usage: replace module/path [v1.2.3] => other/module v1.4 or replace module/path [v1.2.3] => ../local/directory";
        var arrow = args.FindIndex(a => a.Kind == Kind.Arrow);
        if (arrow is not (1 or 2) || args.Count - arrow - 1 is not (1 or 2) || args.Where((a, i) => i != arrow && a.Kind != Kind.Word).Any())
        {
            Error(number, args.Count > 0 ? args[0].Column : verbColumn, usage);
            return;
        }
        var oldPath = args[0];
        var oldVersion = arrow == 2 ? args[1].Text : "";
        if (Attest.GoModules.ModulePath.CheckImportPath(oldPath.Text) is { } oldError) { Error(number, oldPath.Column, oldError); return; }
        if (arrow == 2 && (!SemVer.IsValid(oldVersion) || SemVer.CanonicalModuleVersion(oldVersion) != oldVersion))
        {
            Error(number, args[1].Column, $"{oldPath.Text}@{oldVersion}: invalid version: must be of the form v1.2.3");
            return;
        }
        var newPath = args[arrow + 1];
        var newVersion = args.Count - arrow - 1 == 2 ? args[arrow + 2].Text : "";
        if (newVersion.Length == 0)
        {
            if (!IsDirectoryPath(newPath.Text))
            {
                Error(number, newPath.Column, "replacement module without version must be directory path (rooted or starting with ./ or ../)");
                return;
            }
        }
        else
        {
            if (IsDirectoryPath(newPath.Text)) { Error(number, args[arrow + 2].Column, "replacement module directory path must not have version"); return; }
            if (Attest.GoModules.ModulePath.CheckImportPath(newPath.Text) is { } newError) { Error(number, newPath.Column, newError); return; }
            if (!SemVer.IsValid(newVersion) || SemVer.CanonicalModuleVersion(newVersion) != newVersion)
            {
                Error(number, args[arrow + 2].Column, $"{newPath.Text}@{newVersion}: invalid version: must be of the form v1.2.3");
                return;
            }
        }
        Replaces.Add(new GoModReplace(oldPath.Text, oldVersion, newPath.Text, newVersion, number));
    }

    private void Retract(List<Token> args, int number, int verbColumn, string comment)
    {
        string low, high;
        if (args.Count == 1 && args[0].Kind == Kind.Word)
        {
            low = high = args[0].Text;
        }
        else if (args.Count == 5 && args[0].Kind == Kind.LBracket && args[1].Kind == Kind.Word && args[2].Kind == Kind.Comma
                 && args[3].Kind == Kind.Word && args[4].Kind == Kind.RBracket)
        {
            low = args[1].Text;
            high = args[3].Text;
        }
        else
        {
            Error(number, args.Count > 0 ? args[0].Column : verbColumn, "usage: retract v1.2.3 or retract [v1.2.3, v1.3.0]");
            return;
        }
        foreach (var v in new[] { low, high })
            if (!SemVer.IsValid(v) || SemVer.CanonicalModuleVersion(v) != v)
            {
                Error(number, args[0].Column, $"invalid retracted version \"{v}\": must be of the form v1.2.3");
                return;
            }
        if (SemVer.Compare(low, high) > 0) { Error(number, args[0].Column, $"version interval [{low}, {high}] is empty"); return; }
        Retracts.Add(new GoModRetract(low, high, comment, number));
    }

    /// <summary>Whether a replacement path names a directory (x/mod <c>modfile.IsDirectoryPath</c>).</summary>
    public static bool IsDirectoryPath(string path) =>
        path is "." or ".." || path.StartsWith("./", StringComparison.Ordinal) || path.StartsWith("../", StringComparison.Ordinal)
        || path.StartsWith('/') || path.StartsWith(".\\", StringComparison.Ordinal) || path.StartsWith("..\\", StringComparison.Ordinal)
        || path.StartsWith('\\') || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':');

    /// <summary>x/mod <c>modfile.AutoQuote</c>: quotes a token only when it would otherwise not read back as one word.</summary>
    public static string AutoQuote(string s)
    {
        var mustQuote = s.Length == 0 || s.StartsWith("//", StringComparison.Ordinal) || s.StartsWith("/*", StringComparison.Ordinal)
            || s.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '`' or '(' or ')' or '[' or ']' or '{' or '}' or ',');
        if (!mustQuote) return s;
        var builder = new StringBuilder("\"");
        foreach (var c in s)
            builder.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\t' => "\\t", '\r' => "\\r", _ => c.ToString() });
        return builder.Append('"').ToString();
    }

    /// <summary>The requirement for <paramref name="path"/>, if any.</summary>
    public GoModRequire? Require(string path) => Requires.LastOrDefault(r => r.Path == path);

    /// <summary>The replacement that applies to <paramref name="module"/>: a version-specific one wins over a wildcard.</summary>
    public GoModReplace? ReplacementFor(string path, string version) =>
        Replaces.LastOrDefault(r => r.OldPath == path && r.OldVersion == version)
        ?? Replaces.LastOrDefault(r => r.OldPath == path && r.OldVersion.Length == 0);

    [GeneratedRegex(@"^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex GoVersionRegex();
}
