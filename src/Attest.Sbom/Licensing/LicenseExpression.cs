using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Attest.Sbom.Licensing;

/// <summary>
/// An SPDX licence expression (SPDX 2.3 Annex D / SPDX 3 simplelicensing): licence ids with optional <c>+</c>,
/// <c>LicenseRef-</c> references (optionally <c>DocumentRef-x:</c> qualified), <c>WITH</c> exceptions, and the
/// <c>AND</c> / <c>OR</c> operators. Precedence, tightest first: <c>+</c>, <c>WITH</c>, <c>AND</c>, <c>OR</c>.
/// </summary>
public abstract record LicenseExpression
{
    private protected LicenseExpression()
    {
    }

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says where and why.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out LicenseExpression? expression, [NotNullWhen(false)] out string? error, SbomLimits? limits = null) =>
        LicenseExpressionParser.TryParse(text, limits ?? SbomLimits.Default, out expression, out error);

    public static LicenseExpression Parse(string text) =>
        TryParse(text, out var e, out var error) ? e : throw new FormatException(error);

    /// <summary>Every licence leaf (ids and references), left to right.</summary>
    public IEnumerable<LicenseLeaf> Leaves()
    {
        var stack = new Stack<LicenseExpression>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case LicenseLeaf leaf: yield return leaf; break;
                case LicenseWith w: yield return w.License; break;
                case LicenseAnd a: stack.Push(a.Right); stack.Push(a.Left); break;
                case LicenseOr o: stack.Push(o.Right); stack.Push(o.Left); break;
            }
        }
    }

    /// <summary>Normalised text: canonical id spelling, single spaces, parentheses only where precedence needs them.</summary>
    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        Write(sb, 0);
        return sb.ToString();
    }

    internal abstract void Write(StringBuilder sb, int parentPrecedence);
}

/// <summary>A licence or licence reference: the unit that allow and deny lists name.</summary>
public abstract record LicenseLeaf : LicenseExpression
{
    /// <summary>The key policies match on (case-insensitively): the id, or <c>[DocumentRef-x:]LicenseRef-y</c>.</summary>
    public abstract string Key { get; }
}

/// <summary>An SPDX licence-list id (canonical spelling when known; <see cref="IsListed"/> false for ids the
/// embedded list does not know), with <c>+</c> meaning "this version or later".</summary>
public sealed record LicenseId(string Id, bool OrLater, bool IsListed) : LicenseLeaf
{
    public override string Key => Id;

    internal override void Write(StringBuilder sb, int parentPrecedence) => sb.Append(Id).Append(OrLater ? "+" : "");
}

public sealed record LicenseRef(string? DocumentRef, string Ref) : LicenseLeaf
{
    public override string Key => DocumentRef is null ? Ref : DocumentRef + ":" + Ref;

    internal override void Write(StringBuilder sb, int parentPrecedence) => sb.Append(Key);
}

/// <summary>A licence text that is not an SPDX expression (a CycloneDX licence <c>name</c>); matched by name.</summary>
public sealed record LicenseName(string Name) : LicenseLeaf
{
    public override string Key => Name;

    internal override void Write(StringBuilder sb, int parentPrecedence) => sb.Append('"').Append(Name).Append('"');
}

public sealed record LicenseWith(LicenseLeaf License, string Exception) : LicenseExpression
{
    internal override void Write(StringBuilder sb, int parentPrecedence)
    {
        License.Write(sb, 3);
        sb.Append(" WITH ").Append(Exception);
    }
}

public sealed record LicenseAnd(LicenseExpression Left, LicenseExpression Right) : LicenseExpression
{
    internal override void Write(StringBuilder sb, int parentPrecedence)
    {
        if (parentPrecedence > 2) sb.Append('(');
        Left.Write(sb, 2);
        sb.Append(" AND ");
        Right.Write(sb, 2);
        if (parentPrecedence > 2) sb.Append(')');
    }
}

public sealed record LicenseOr(LicenseExpression Left, LicenseExpression Right) : LicenseExpression
{
    internal override void Write(StringBuilder sb, int parentPrecedence)
    {
        if (parentPrecedence > 1) sb.Append('(');
        Left.Write(sb, 1);
        sb.Append(" OR ");
        Right.Write(sb, 1);
        if (parentPrecedence > 1) sb.Append(')');
    }
}
