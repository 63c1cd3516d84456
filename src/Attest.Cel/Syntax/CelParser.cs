using System.Numerics;

namespace Attest.Cel.Syntax;

/// <summary>
/// Recursive-descent parser for the CEL grammar (cel-spec langdef.md, "Syntax"), expanding the standard macros (<c>has</c>,
/// <c>all</c>, <c>exists</c>, <c>exists_one</c>, <c>map</c>, <c>filter</c>) as it goes. Nesting is bounded by
/// <see cref="CelLimits.MaxDepth"/>; message construction (<c>Type{field: …}</c>) and optional syntax are not supported.
/// </summary>
internal sealed class CelParser
{
    private readonly List<Token> _tokens;
    private readonly int _maxDepth;
    private int _index;
    private int _depth;

    private CelParser(List<Token> tokens, int maxDepth)
    {
        _tokens = tokens;
        _maxDepth = maxDepth;
    }

    public static Expr Parse(string source, CelLimits limits)
    {
        if (source.Length > limits.MaxExpressionLength)
            throw new CelSyntaxException(0, $"the expression is {source.Length} characters long, more than {limits.MaxExpressionLength}");
        var parser = new CelParser(new CelLexer(source).Tokenize(), limits.MaxDepth);
        var expr = parser.Expression();
        if (parser.Peek.Kind != TokenKind.End) throw new CelSyntaxException(parser.Peek.Offset, $"unexpected '{parser.Peek.Text}' after the expression");
        return expr;
    }

    private Token Peek => _tokens[_index];

    private bool IsPunct(string text) => Peek.Kind == TokenKind.Punct && Peek.Text == text;

    private Token Expect(string text)
    {
        if (!IsPunct(text)) throw new CelSyntaxException(Peek.Offset, Peek.Kind == TokenKind.End ? $"expected '{text}' but the expression ends" : $"expected '{text}' but found '{Peek.Text}'");
        return _tokens[_index++];
    }

    private void Enter()
    {
        if (++_depth > _maxDepth) throw new CelSyntaxException(Peek.Offset, $"the expression nests deeper than {_maxDepth} levels");
    }

    private Expr Expression()
    {
        Enter();
        var condition = Or();
        if (IsPunct("?"))
        {
            var at = _tokens[_index++].Offset;
            var then = Or();
            Expect(":");
            var otherwise = Expression();
            condition = new CallExpr(at, "_?_:_", null, [condition, then, otherwise]);
        }
        _depth--;
        return condition;
    }

    private Expr Or() => LeftAssociative(And, "||", "_||_");

    private Expr And() => LeftAssociative(Relation, "&&", "_&&_");

    private Expr LeftAssociative(Func<Expr> operand, string op, string function)
    {
        var left = operand();
        while (IsPunct(op))
        {
            var at = _tokens[_index++].Offset;
            Enter();
            left = new CallExpr(at, function, null, [left, operand()]);
            _depth--;
        }
        return left;
    }

    private Expr Relation()
    {
        var left = Addition();
        while (true)
        {
            string? function = Peek.Kind == TokenKind.In ? "@in" : Peek.Kind == TokenKind.Punct ? Peek.Text switch
            {
                "<" => "_<_", "<=" => "_<=_", ">" => "_>_", ">=" => "_>=_", "==" => "_==_", "!=" => "_!=_", _ => null,
            } : null;
            if (function is null) return left;
            var at = _tokens[_index++].Offset;
            Enter();
            left = new CallExpr(at, function, null, [left, Addition()]);
            _depth--;
        }
    }

    private Expr Addition()
    {
        var left = Multiplication();
        while (IsPunct("+") || IsPunct("-"))
        {
            var token = _tokens[_index++];
            Enter();
            left = new CallExpr(token.Offset, token.Text == "+" ? "_+_" : "_-_", null, [left, Multiplication()]);
            _depth--;
        }
        return left;
    }

    private Expr Multiplication()
    {
        var left = Unary();
        while (IsPunct("*") || IsPunct("/") || IsPunct("%"))
        {
            var token = _tokens[_index++];
            Enter();
            left = new CallExpr(token.Offset, token.Text switch { "*" => "_*_", "/" => "_/_", _ => "_%_" }, null, [left, Unary()]);
            _depth--;
        }
        return left;
    }

    private Expr Unary()
    {
        if (IsPunct("!"))
        {
            var at = _tokens[_index++].Offset;
            Enter();
            var operand = Unary();
            _depth--;
            return new CallExpr(at, "!_", null, [operand]);
        }
        if (IsPunct("-"))
        {
            var at = _tokens[_index++].Offset;
            // A negated integer literal is one literal, so -9223372036854775808 fits.
            if (Peek.Kind == TokenKind.Int && !(_tokens[_index + 1].Kind == TokenKind.Punct && _tokens[_index + 1].Text is "." or "["))
            {
                var magnitude = (BigInteger)_tokens[_index++].Value!;
                return MemberSuffix(new LiteralExpr(at, (long)-magnitude));
            }
            if (Peek.Kind == TokenKind.Double && !(_tokens[_index + 1].Kind == TokenKind.Punct && _tokens[_index + 1].Text is "." or "["))
                return MemberSuffix(new LiteralExpr(at, -(double)_tokens[_index++].Value!));
            Enter();
            var operand = Unary();
            _depth--;
            return new CallExpr(at, "-_", null, [operand]);
        }
        return MemberSuffix(Primary());
    }

    private Expr MemberSuffix(Expr expr)
    {
        while (true)
        {
            if (IsPunct("."))
            {
                var at = _tokens[_index++].Offset;
                if (Peek.Kind != TokenKind.Ident) throw new CelSyntaxException(Peek.Offset, "expected a field or method name after '.'");
                var quoted = ReferenceEquals(Peek.Value, CelLexer.QuotedName);
                var name = _tokens[_index++].Text;
                if (IsPunct("(") && !quoted)
                {
                    var args = Arguments();
                    Enter();
                    expr = Macro(at, name, expr, args) ?? new CallExpr(at, name, expr, args);
                    _depth--;
                }
                else
                {
                    if (IsPunct("{")) throw new CelSyntaxException(Peek.Offset, "message construction is not supported");
                    Enter();
                    expr = new SelectExpr(at, expr, name, false);
                    _depth--;
                }
            }
            else if (IsPunct("["))
            {
                var at = _tokens[_index++].Offset;
                if (IsPunct("?")) throw new CelSyntaxException(Peek.Offset, "optional indexing ([?…]) is not supported");
                var index = Expression();
                Expect("]");
                Enter();
                expr = new CallExpr(at, "_[_]", null, [expr, index]);
                _depth--;
            }
            else
            {
                return expr;
            }
        }
    }

    private Expr? Macro(int at, string name, Expr target, List<Expr> args)
    {
        var kind = (name, args.Count) switch
        {
            ("all", 2) => MacroKind.All,
            ("exists", 2) => MacroKind.Exists,
            ("exists_one", 2) => MacroKind.ExistsOne,
            ("map", 2 or 3) => MacroKind.Map,
            ("filter", 2) => MacroKind.Filter,
            _ => (MacroKind?)null,
        };
        if (kind is null) return null;
        if (args[0] is not IdentExpr variable) throw new CelSyntaxException(args[0].Offset, $"the first argument of {name}() must be a variable name");
        return kind == MacroKind.Map && args.Count == 3
            ? new ComprehensionExpr(at, MacroKind.Map, variable.Name, target, args[2], args[1])
            : new ComprehensionExpr(at, kind.Value, variable.Name, target, args[1], null);
    }

    private List<Expr> Arguments()
    {
        Expect("(");
        var args = new List<Expr>();
        if (!IsPunct(")"))
        {
            args.Add(Expression());
            while (IsPunct(","))
            {
                _index++;
                args.Add(Expression());
            }
        }
        Expect(")");
        return args;
    }

    private Expr Primary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Int:
                _index++;
                var value = (BigInteger)token.Value!;
                if (value > long.MaxValue) throw new CelSyntaxException(token.Offset, "the integer literal is out of range");
                return new LiteralExpr(token.Offset, (long)value);
            case TokenKind.Uint:
            case TokenKind.Double:
            case TokenKind.String:
                _index++;
                return new LiteralExpr(token.Offset, token.Value!);
            case TokenKind.Bytes:
                _index++;
                return new LiteralExpr(token.Offset, new CelBytes((byte[])token.Value!));
            case TokenKind.True:
            case TokenKind.False:
                _index++;
                return new LiteralExpr(token.Offset, token.Kind == TokenKind.True);
            case TokenKind.Null:
                _index++;
                return new LiteralExpr(token.Offset, CelNull.Value);
            case TokenKind.Ident:
                return Identifier();
            case TokenKind.Punct when token.Text == ".":
                _index++;
                if (Peek.Kind != TokenKind.Ident) throw new CelSyntaxException(Peek.Offset, "expected an identifier after a leading '.'");
                return Identifier();
            case TokenKind.Punct when token.Text == "(":
            {
                _index++;
                var inner = Expression();
                Expect(")");
                return inner;
            }
            case TokenKind.Punct when token.Text == "[":
            {
                _index++;
                var elements = new List<Expr>();
                while (!IsPunct("]"))
                {
                    elements.Add(Expression());
                    if (!IsPunct(",")) break;
                    _index++;
                }
                Expect("]");
                return new ListExpr(token.Offset, elements);
            }
            case TokenKind.Punct when token.Text == "{":
            {
                _index++;
                var entries = new List<(Expr, Expr)>();
                while (!IsPunct("}"))
                {
                    if (IsPunct("?")) throw new CelSyntaxException(Peek.Offset, "optional map entries are not supported");
                    var key = Expression();
                    Expect(":");
                    entries.Add((key, Expression()));
                    if (!IsPunct(",")) break;
                    _index++;
                }
                Expect("}");
                return new MapExpr(token.Offset, entries);
            }
            case TokenKind.End:
                throw new CelSyntaxException(token.Offset, "the expression ends where an operand was expected");
            default:
                throw new CelSyntaxException(token.Offset, $"unexpected '{token.Text}'");
        }
    }

    private Expr Identifier()
    {
        var token = _tokens[_index++];
        if (ReferenceEquals(token.Value, CelLexer.ReservedWord)) throw new CelSyntaxException(token.Offset, $"'{token.Text}' is a reserved word");
        if (ReferenceEquals(token.Value, CelLexer.QuotedName)) throw new CelSyntaxException(token.Offset, "a quoted name may only follow '.'");
        if (IsPunct("("))
        {
            var args = Arguments();
            if (token.Text == "has")
            {
                if (args is not [SelectExpr select]) throw new CelSyntaxException(token.Offset, "has() needs one argument of the form a.field");
                return select with { TestOnly = true };
            }
            return new CallExpr(token.Offset, token.Text, null, args);
        }
        if (IsPunct("{")) throw new CelSyntaxException(Peek.Offset, "message construction is not supported");
        return new IdentExpr(token.Offset, token.Text);
    }
}
