using System.Globalization;
using System.Text;

namespace Attest.Cel.Tests;

/// <summary>A protocol buffer text-format message as a tree: fields in order, each a scalar token or a nested message.</summary>
internal sealed class TextMessage
{
    public List<(string Name, object Value)> Fields { get; } = [];

    public IEnumerable<object> All(string name) => Fields.Where(f => f.Name == name).Select(f => f.Value);

    public object? One(string name) => All(name).FirstOrDefault();

    public TextMessage? Message(string name) => One(name) as TextMessage;

    public string? Text(string name) => One(name) switch
    {
        TextScalar s => s.Text,
        _ => null,
    };

    public bool Has(string name) => Fields.Any(f => f.Name == name);
}

/// <summary>A scalar: an identifier or number as written, or a string literal decoded to bytes.</summary>
internal sealed record TextScalar(string Text, byte[]? StringBytes)
{
    public bool IsString => StringBytes is not null;

    public string Utf8 => Encoding.UTF8.GetString(StringBytes!);
}

/// <summary>Just enough of the protocol buffer text format for cel-spec's test files: nested messages (with or
/// without ':'), repeated fields, lists in brackets, Any expansion names in brackets, strings with C escapes, comments.</summary>
internal sealed class TextProto(string text)
{
    private int _position;

    public static TextMessage Parse(string text)
    {
        var parser = new TextProto(text);
        var message = parser.Fields('\0');
        return message;
    }

    private TextMessage Fields(char end)
    {
        var message = new TextMessage();
        while (true)
        {
            Skip();
            if (_position >= text.Length)
            {
                if (end != '\0') throw new FormatException("unexpected end of text proto");
                return message;
            }
            if (text[_position] == end)
            {
                _position++;
                return message;
            }
            var name = Name();
            Skip();
            if (text[_position] == ':')
            {
                _position++;
                Skip();
            }
            if (text[_position] == '[')
            {
                _position++;
                while (true)
                {
                    Skip();
                    if (text[_position] == ']') { _position++; break; }
                    message.Fields.Add((name, Value()));
                    Skip();
                    if (text[_position] == ',') _position++;
                }
            }
            else
            {
                message.Fields.Add((name, Value()));
            }
            Skip();
            if (_position < text.Length && text[_position] is ',' or ';') _position++;
        }
    }

    private string Name()
    {
        if (text[_position] == '[')
        {
            var close = text.IndexOf(']', _position);
            var name = text[_position..(close + 1)];
            _position = close + 1;
            return name;
        }
        var start = _position;
        while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '_' or '.')) _position++;
        if (start == _position) throw new FormatException($"expected a field name at {_position}: '{text.Substring(_position, Math.Min(20, text.Length - _position))}'");
        return text[start.._position];
    }

    private object Value()
    {
        var c = text[_position];
        if (c is '{' or '<')
        {
            _position++;
            return Fields(c == '{' ? '}' : '>');
        }
        if (c is '"' or '\'')
        {
            var bytes = new List<byte>();
            // Adjacent string literals concatenate.
            while (_position < text.Length && text[_position] is '"' or '\'')
            {
                bytes.AddRange(StringLiteral());
                Skip();
            }
            return new TextScalar("", bytes.ToArray());
        }
        var start = _position;
        while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '_' or '.' or '-' or '+')) _position++;
        return new TextScalar(text[start.._position], null);
    }

    private byte[] StringLiteral()
    {
        var quote = text[_position++];
        var bytes = new List<byte>();
        while (text[_position] != quote)
        {
            var c = text[_position++];
            if (c != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(char.IsHighSurrogate(c) ? new string([c, text[_position++]]) : c.ToString()));
                continue;
            }
            var e = text[_position++];
            switch (e)
            {
                case 'n': bytes.Add(10); break;
                case 'r': bytes.Add(13); break;
                case 't': bytes.Add(9); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case '\\' or '\'' or '"' or '?': bytes.Add((byte)e); break;
                case 'x':
                {
                    var start = _position;
                    while (_position < text.Length && _position - start < 2 && char.IsAsciiHexDigit(text[_position])) _position++;
                    bytes.Add(byte.Parse(text[start.._position], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    break;
                }
                case 'u' or 'U':
                {
                    var length = e == 'u' ? 4 : 8;
                    var code = int.Parse(text.Substring(_position, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    _position += length;
                    bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(code)));
                    break;
                }
                case >= '0' and <= '7':
                {
                    var value = e - '0';
                    for (var i = 0; i < 2 && _position < text.Length && text[_position] is >= '0' and <= '7'; i++) value = value * 8 + (text[_position++] - '0');
                    bytes.Add((byte)value);
                    break;
                }
                default:
                    throw new FormatException($"unknown escape \\{e}");
            }
        }
        _position++;
        return bytes.ToArray();
    }

    private void Skip()
    {
        while (_position < text.Length)
        {
            if (char.IsWhiteSpace(text[_position])) _position++;
            else if (text[_position] == '#')
                while (_position < text.Length && text[_position] != '\n') _position++;
            else return;
        }
    }
}
