using System.Globalization;
using System.Numerics;
using System.Text;

namespace Attest.Cel.Syntax;

internal enum TokenKind
{
    End,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Ident,
    True,
    False,
    Null,
    In,
    Punct,
}

internal readonly record struct Token(TokenKind Kind, int Offset, string Text, object? Value = null);

/// <summary>Splits CEL source into tokens (cel-spec langdef.md, "Syntax": literals with their escapes, identifiers,
/// reserved words and operators). Comments (<c>//</c> to end of line) and whitespace are skipped.</summary>
internal sealed class CelLexer(string source)
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    /// <summary>Marks an identifier token that is a reserved word (allowed only as a field or method name).</summary>
    public static readonly object ReservedWord = new();

    /// <summary>Marks a backtick-quoted field name (allowed only after '.').</summary>
    public static readonly object QuotedName = new();

    private static readonly string[] Punctuation = ["==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", "{", "}", ".", ",", "?", ":", "!", "-", "+", "*", "/", "%", "<", ">"];

    private int _position;

    public List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        while (true)
        {
            SkipSpace();
            if (_position >= source.Length)
            {
                tokens.Add(new Token(TokenKind.End, _position, ""));
                return tokens;
            }
            tokens.Add(Next(tokens.Count > 0 ? tokens[^1] : null));
        }
    }

    private void SkipSpace()
    {
        while (_position < source.Length)
        {
            var c = source[_position];
            if (c is ' ' or '\t' or '\n' or '\r' or '\f') _position++;
            else if (c == '/' && _position + 1 < source.Length && source[_position + 1] == '/')
                while (_position < source.Length && source[_position] != '\n') _position++;
            else return;
        }
    }

    private Token Next(Token? previous)
    {
        var start = _position;
        var c = source[_position];
        // String and bytes literals, with r/b prefixes in either order.
        var prefixLength = PrefixLength();
        if (prefixLength >= 0) return StringLiteral(start, prefixLength);
        if (char.IsAsciiDigit(c) || (c == '.' && _position + 1 < source.Length && char.IsAsciiDigit(source[_position + 1]) && !IsOperand(previous)))
            return Number(start);
        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (_position < source.Length && (char.IsAsciiLetterOrDigit(source[_position]) || source[_position] == '_')) _position++;
            var word = source[start.._position];
            return word switch
            {
                "true" => new Token(TokenKind.True, start, word),
                "false" => new Token(TokenKind.False, start, word),
                "null" => new Token(TokenKind.Null, start, word),
                "in" => new Token(TokenKind.In, start, word),
                _ => new Token(TokenKind.Ident, start, word, Reserved.Contains(word) ? ReservedWord : null),
            };
        }
        if (c == '`')
        {
            // A quoted field name (.`content-type`): any characters but the backtick and newlines.
            var end = source.IndexOf('`', _position + 1);
            if (end < 0 || source.AsSpan(_position + 1, end - _position - 1).ContainsAny('\n', '\r') || end == _position + 1)
                throw new CelSyntaxException(start, "unterminated or empty quoted identifier");
            _position = end + 1;
            return new Token(TokenKind.Ident, start, source[(start + 1)..end], QuotedName);
        }
        foreach (var punct in Punctuation)
        {
            if (string.CompareOrdinal(source, _position, punct, 0, punct.Length) == 0)
            {
                _position += punct.Length;
                return new Token(TokenKind.Punct, start, punct);
            }
        }
        throw new CelSyntaxException(start, $"unexpected character '{c}'");
    }

    private static bool IsOperand(Token? token) =>
        token is { } t && (t.Kind is TokenKind.Ident or TokenKind.Int or TokenKind.Uint or TokenKind.Double or TokenKind.String or TokenKind.Bytes
            or TokenKind.True or TokenKind.False or TokenKind.Null || t.Text is ")" or "]" or "}");

    /// <summary>Length of an r/b/rb/br prefix before a quote, or -1 if no string literal starts here.</summary>
    private int PrefixLength()
    {
        for (var length = 0; length <= 2; length++)
        {
            if (_position + length >= source.Length) return -1;
            var c = source[_position + length];
            if (c is '"' or '\'')
            {
                var prefix = source.Substring(_position, length).ToLowerInvariant();
                return prefix is "" or "r" or "b" or "rb" or "br" ? length : -1;
            }
            if (c is not ('r' or 'R' or 'b' or 'B')) return -1;
        }
        return -1;
    }

    private Token StringLiteral(int start, int prefixLength)
    {
        var prefix = source.Substring(_position, prefixLength).ToLowerInvariant();
        var raw = prefix.Contains('r', StringComparison.Ordinal);
        var isBytes = prefix.Contains('b', StringComparison.Ordinal);
        _position += prefixLength;
        var quote = source[_position];
        var triple = _position + 2 < source.Length && source[_position + 1] == quote && source[_position + 2] == quote;
        var delimiter = triple ? new string(quote, 3) : quote.ToString();
        _position += delimiter.Length;
        var bytes = new List<byte>();
        var text = new StringBuilder();
        void AppendCodePoint(int codePoint)
        {
            if (isBytes) bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(codePoint)));
            else text.Append(char.ConvertFromUtf32(codePoint));
        }
        while (true)
        {
            if (_position >= source.Length) throw new CelSyntaxException(start, "unterminated string literal");
            if (string.CompareOrdinal(source, _position, delimiter, 0, delimiter.Length) == 0)
            {
                _position += delimiter.Length;
                break;
            }
            var c = source[_position];
            if (!triple && c is '\n' or '\r') throw new CelSyntaxException(start, "a newline in a single-quoted string literal");
            if (c == '\\' && !raw)
            {
                var escapeStart = _position;
                _position++;
                if (_position >= source.Length) throw new CelSyntaxException(escapeStart, "unterminated escape sequence");
                var e = source[_position++];
                switch (e)
                {
                    case 'a': AppendCodePoint(7); break;
                    case 'b': AppendCodePoint(8); break;
                    case 'f': AppendCodePoint(12); break;
                    case 'n': AppendCodePoint(10); break;
                    case 'r': AppendCodePoint(13); break;
                    case 't': AppendCodePoint(9); break;
                    case 'v': AppendCodePoint(11); break;
                    case '\\' or '\'' or '"' or '`' or '?': AppendCodePoint(e); break;
                    case 'x' or 'X':
                    {
                        var value = Hex(2, escapeStart);
                        if (isBytes) bytes.Add((byte)value);
                        else AppendCodePoint(value);
                        break;
                    }
                    case 'u':
                    case 'U':
                    {
                        if (isBytes) throw new CelSyntaxException(escapeStart, "\\u escapes are not allowed in bytes literals");
                        var value = Hex(e == 'u' ? 4 : 8, escapeStart);
                        if (value > 0x10FFFF || value is >= 0xD800 and <= 0xDFFF) throw new CelSyntaxException(escapeStart, "the escape is not a Unicode scalar value");
                        AppendCodePoint(value);
                        break;
                    }
                    case >= '0' and <= '3':
                    {
                        if (_position + 1 >= source.Length || !IsOctal(source[_position]) || !IsOctal(source[_position + 1]))
                            throw new CelSyntaxException(escapeStart, "an octal escape needs three digits");
                        var value = (e - '0') * 64 + (source[_position] - '0') * 8 + (source[_position + 1] - '0');
                        _position += 2;
                        if (isBytes) bytes.Add((byte)value);
                        else AppendCodePoint(value);
                        break;
                    }
                    default:
                        throw new CelSyntaxException(escapeStart, $"unknown escape sequence '\\{e}'");
                }
                continue;
            }
            // A literal character (a surrogate pair stays whole).
            if (char.IsHighSurrogate(c) && _position + 1 < source.Length)
            {
                var pair = source.Substring(_position, 2);
                if (isBytes) bytes.AddRange(Encoding.UTF8.GetBytes(pair));
                else text.Append(pair);
                _position += 2;
                continue;
            }
            if (isBytes) bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            else text.Append(c);
            _position++;
        }
        return isBytes
            ? new Token(TokenKind.Bytes, start, source[start.._position], bytes.ToArray())
            : new Token(TokenKind.String, start, source[start.._position], text.ToString());
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    private int Hex(int digits, int escapeStart)
    {
        if (_position + digits > source.Length) throw new CelSyntaxException(escapeStart, "a hexadecimal escape is too short");
        var text = source.Substring(_position, digits);
        if (!int.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) || text.Any(ch => !char.IsAsciiHexDigit(ch)))
            throw new CelSyntaxException(escapeStart, $"'{text}' is not a hexadecimal escape");
        _position += digits;
        return value;
    }

    private Token Number(int start)
    {
        if (source[_position] == '0' && _position + 1 < source.Length && source[_position + 1] is 'x' or 'X')
        {
            _position += 2;
            var digitsStart = _position;
            while (_position < source.Length && char.IsAsciiHexDigit(source[_position])) _position++;
            if (_position == digitsStart) throw new CelSyntaxException(start, "a hexadecimal literal needs digits");
            var hex = source[digitsStart.._position];
            return IntegerToken(start, BigInteger.Parse("0" + hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }
        while (_position < source.Length && char.IsAsciiDigit(source[_position])) _position++;
        var isDouble = false;
        if (_position + 1 < source.Length && source[_position] == '.' && char.IsAsciiDigit(source[_position + 1]))
        {
            isDouble = true;
            _position++;
            while (_position < source.Length && char.IsAsciiDigit(source[_position])) _position++;
        }
        if (_position < source.Length && source[_position] is 'e' or 'E')
        {
            var save = _position;
            _position++;
            if (_position < source.Length && source[_position] is '+' or '-') _position++;
            if (_position < source.Length && char.IsAsciiDigit(source[_position]))
            {
                isDouble = true;
                while (_position < source.Length && char.IsAsciiDigit(source[_position])) _position++;
            }
            else
            {
                _position = save;
            }
        }
        var text = source[start.._position];
        if (isDouble)
            return new Token(TokenKind.Double, start, text, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        return IntegerToken(start, BigInteger.Parse(text, CultureInfo.InvariantCulture));
    }

    /// <summary>An integer literal keeps its magnitude as a BigInteger until the parser knows whether it is negated.</summary>
    private Token IntegerToken(int start, BigInteger value)
    {
        if (_position < source.Length && source[_position] is 'u' or 'U')
        {
            _position++;
            if (value > ulong.MaxValue) throw new CelSyntaxException(start, "the unsigned integer literal is out of range");
            return new Token(TokenKind.Uint, start, source[start.._position], (ulong)value);
        }
        if (value > (BigInteger)long.MaxValue + 1) throw new CelSyntaxException(start, "the integer literal is out of range");
        return new Token(TokenKind.Int, start, source[start.._position], value);
    }
}
