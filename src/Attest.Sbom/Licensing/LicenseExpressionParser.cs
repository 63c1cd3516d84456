using System.Diagnostics.CodeAnalysis;

namespace Attest.Sbom.Licensing;

/// <summary>
/// Recursive-descent parser for SPDX licence expressions (SPDX 2.3 Annex D, grammar D.2):
/// <code>
/// compound   = and *( "OR" and )
/// and        = with *( "AND" with )
/// with       = simple [ "WITH" exception-id ] / "(" compound ")"
/// simple     = license-id / license-id "+" / ["DocumentRef-" idstring ":"] "LicenseRef-" idstring
/// idstring   = 1*( ALPHA / DIGIT / "-" / "." )
/// </code>
/// Operators are case-sensitive (D.3: "AND", "OR", "WITH" in upper case); ids are matched case-insensitively
/// against the licence list. Length and nesting are bounded by <see cref="SbomLimits"/>.
/// </summary>
internal ref struct LicenseExpressionParser
{
    private readonly string _text;
    private readonly SbomLimits _limits;
    private readonly List<(int Start, int Length)> _tokens;
    private int _position;
    private int _depth;
    private string? _error;

    private LicenseExpressionParser(string text, SbomLimits limits, List<(int, int)> tokens)
    {
        _text = text;
        _limits = limits;
        _tokens = tokens;
    }

    public static bool TryParse(string text, SbomLimits limits, [NotNullWhen(true)] out LicenseExpression? expression, [NotNullWhen(false)] out string? error)
    {
        expression = null;
        if (text.Length > limits.MaxLicenseExpressionLength)
        {
            error = $"licence expression is {text.Length} characters long; the limit is {limits.MaxLicenseExpressionLength}";
            return false;
        }
        if (!Tokenize(text, out var tokens, out var tokenError)) { error = tokenError ?? "licence expression is not valid"; return false; }
        if (tokens.Count == 0)
        {
            error = "licence expression is empty";
            return false;
        }
        var parser = new LicenseExpressionParser(text, limits, tokens);
        var result = parser.ParseOr();
        if (result is not null && parser._position < tokens.Count)
        {
            parser._error = $"unexpected '{parser.Token(parser._position)}' at position {tokens[parser._position].Item1 + 1}";
            result = null;
        }
        if (result is null)
        {
            error = parser._error ?? "licence expression is not valid";
            return false;
        }
        expression = result;
        error = null;
        return true;
    }

    private static bool Tokenize(string text, out List<(int, int)> tokens, out string? error)
    {
        tokens = [];
        error = null;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\n' or '\r') { i++; continue; }
            if (c is '(' or ')') { tokens.Add((i, 1)); i++; continue; }
            var start = i;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '-' or '.' or ':' or '+')) i++;
            if (i == start)
            {
                error = $"character '{c}' at position {i + 1} is not allowed in a licence expression";
                return false;
            }
            tokens.Add((start, i - start));
        }
        return true;
    }

    private readonly string Token(int index) => _text.Substring(_tokens[index].Start, _tokens[index].Length);

    private readonly bool At(string token) => _position < _tokens.Count && Token(_position) == token;

    private LicenseExpression? ParseOr()
    {
        var left = ParseAnd();
        while (left is not null && At("OR"))
        {
            _position++;
            var right = ParseAnd();
            if (right is null) return null;
            left = new LicenseOr(left, right);
        }
        return left;
    }

    private LicenseExpression? ParseAnd()
    {
        var left = ParseWith();
        while (left is not null && At("AND"))
        {
            _position++;
            var right = ParseWith();
            if (right is null) return null;
            left = new LicenseAnd(left, right);
        }
        return left;
    }

    private LicenseExpression? ParseWith()
    {
        if (_position >= _tokens.Count)
        {
            _error = "licence expression ends where a licence was expected";
            return null;
        }
        if (At("("))
        {
            if (++_depth > _limits.MaxLicenseExpressionDepth)
            {
                _error = $"licence expression nests deeper than {_limits.MaxLicenseExpressionDepth} parentheses";
                return null;
            }
            _position++;
            var inner = ParseOr();
            if (inner is null) return null;
            if (!At(")"))
            {
                _error = _position < _tokens.Count
                    ? $"expected ')' but found '{Token(_position)}' at position {_tokens[_position].Start + 1}"
                    : "missing ')' at the end of the licence expression";
                return null;
            }
            _position++;
            _depth--;
            if (At("WITH"))
            {
                _error = "WITH applies to a single licence, not to a parenthesised expression";
                return null;
            }
            return inner;
        }
        var leaf = ParseSimple();
        if (leaf is null) return null;
        if (!At("WITH")) return leaf;
        _position++;
        if (_position >= _tokens.Count || At("(") || At(")"))
        {
            _error = "WITH must be followed by a licence exception id";
            return null;
        }
        var exceptionText = Token(_position);
        if (!IsIdString(exceptionText))
        {
            _error = $"'{exceptionText}' is not a valid licence exception id";
            return null;
        }
        _position++;
        if (leaf is not LicenseId and not LicenseRef)
        {
            _error = "WITH must follow a licence id";
            return null;
        }
        return new LicenseWith(leaf, SpdxLicenseList.TryGetException(exceptionText, out var canonical) ? canonical : exceptionText);
    }

    private LicenseLeaf? ParseSimple()
    {
        var start = _tokens[_position].Start;
        var token = Token(_position);
        if (token is "(" or ")" or "AND" or "OR" or "WITH")
        {
            _error = $"expected a licence but found '{token}' at position {start + 1}";
            return null;
        }
        if (token.Equals("AND", StringComparison.OrdinalIgnoreCase) || token.Equals("OR", StringComparison.OrdinalIgnoreCase) || token.Equals("WITH", StringComparison.OrdinalIgnoreCase))
        {
            _error = $"'{token}' at position {start + 1}: operators are case-sensitive; write '{token.ToUpperInvariant()}'";
            return null;
        }
        _position++;
        if (_position < _tokens.Count)
        {
            var next = Token(_position);
            if (next is not ("(" or ")" or "AND" or "OR" or "WITH"))
            {
                _error = next.Equals("AND", StringComparison.OrdinalIgnoreCase) || next.Equals("OR", StringComparison.OrdinalIgnoreCase) || next.Equals("WITH", StringComparison.OrdinalIgnoreCase)
                    ? $"'{next}' at position {_tokens[_position].Start + 1}: operators are case-sensitive; write '{next.ToUpperInvariant()}'"
                    : $"expected an operator after '{token}' but found '{next}' at position {_tokens[_position].Start + 1}";
                return null;
            }
        }

        var colon = token.IndexOf(':', StringComparison.Ordinal);
        string? documentRef = null;
        var body = token;
        if (colon >= 0)
        {
            documentRef = token[..colon];
            body = token[(colon + 1)..];
            if (!documentRef.StartsWith("DocumentRef-", StringComparison.Ordinal) || !IsIdString(documentRef.AsSpan("DocumentRef-".Length)))
            {
                _error = $"'{token}': only 'DocumentRef-<id>:LicenseRef-<id>' may contain ':'";
                return null;
            }
            if (!body.StartsWith("LicenseRef-", StringComparison.Ordinal))
            {
                _error = $"'{token}': a DocumentRef must be followed by a LicenseRef";
                return null;
            }
        }
        if (body.StartsWith("LicenseRef-", StringComparison.Ordinal))
        {
            if (!IsIdString(body.AsSpan("LicenseRef-".Length)))
            {
                _error = $"'{token}' is not a valid LicenseRef (LicenseRef- followed by letters, digits, '-' or '.')";
                return null;
            }
            return new LicenseRef(documentRef, body);
        }
        var orLater = body.EndsWith('+');
        var id = orLater ? body[..^1] : body;
        if (!IsIdString(id))
        {
            _error = $"'{token}' is not a valid licence id";
            return null;
        }
        if (id is "NONE" or "NOASSERTION")
        {
            _error = $"'{id}' is a special value, not a licence; it cannot be combined in an expression";
            return null;
        }
        return SpdxLicenseList.TryGetLicense(id, out var canonical)
            ? new LicenseId(canonical, orLater, IsListed: true)
            : new LicenseId(id, orLater, IsListed: false);
    }

    private static bool IsIdString(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.')) return false;
        return true;
    }
}
