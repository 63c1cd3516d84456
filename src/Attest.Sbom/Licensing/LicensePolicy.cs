namespace Attest.Sbom.Licensing;

/// <summary>
/// Allow and deny lists of licences, evaluated on expressions the way a licensee chooses: an <c>OR</c> is
/// forbidden only if every choice is forbidden (<c>MIT OR GPL-3.0-only</c> with GPL denied is allowed: pick MIT);
/// an <c>AND</c> is forbidden if any part is. An entry matches an id case-insensitively; a plain entry matches the
/// licence with or without an exception (exceptions only add permissions), an entry <c>X WITH E</c> matches only
/// that combination. <c>GPL-2.0+</c> is matched by an entry naming <c>GPL-2.0</c> or <c>GPL-2.0+</c>.
/// </summary>
public sealed class LicensePolicy
{
    private readonly HashSet<string> _denied = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _deniedWith = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string>? _allowed;
    private readonly HashSet<string> _allowedWith = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="denied">Licence ids, LicenseRefs or <c>ID WITH EXCEPTION</c> that must not be used.</param>
    /// <param name="allowed">When not null, the only licences that may be used.</param>
    public LicensePolicy(IEnumerable<string> denied, IEnumerable<string>? allowed = null)
    {
        foreach (var d in denied) Add(d, _denied, _deniedWith);
        if (allowed is not null)
        {
            _allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var a in allowed) Add(a, _allowed, _allowedWith);
        }
    }

    public bool HasAllowList => _allowed is not null;

    /// <summary>True when every way of satisfying <paramref name="expression"/> uses a denied licence.</summary>
    public bool IsDenied(LicenseExpression expression) => expression switch
    {
        LicenseOr o => IsDenied(o.Left) && IsDenied(o.Right),
        LicenseAnd a => IsDenied(a.Left) || IsDenied(a.Right),
        LicenseWith w => _deniedWith.Contains(Key(w)) || LeafDenied(w.License),
        LicenseLeaf leaf => LeafDenied(leaf),
        _ => throw new InvalidOperationException($"unknown expression node {expression.GetType().Name}"),
    };

    /// <summary>True when an allow list is set and every way of satisfying <paramref name="expression"/> uses a
    /// licence that is not on it.</summary>
    public bool IsNotAllowed(LicenseExpression expression) => _allowed is not null && NotAllowed(expression);

    /// <summary>The leaves that make <paramref name="expression"/> denied (for messages).</summary>
    public IEnumerable<string> DeniedLeaves(LicenseExpression expression) =>
        expression.Leaves().Where(LeafDenied).Select(l => l.Key).Distinct(StringComparer.OrdinalIgnoreCase);

    private bool NotAllowed(LicenseExpression expression) => expression switch
    {
        LicenseOr o => NotAllowed(o.Left) && NotAllowed(o.Right),
        LicenseAnd a => NotAllowed(a.Left) || NotAllowed(a.Right),
        LicenseWith w => !_allowedWith.Contains(Key(w)) && !LeafAllowed(w.License),
        LicenseLeaf leaf => !LeafAllowed(leaf),
        _ => throw new InvalidOperationException($"unknown expression node {expression.GetType().Name}"),
    };

    private bool LeafDenied(LicenseLeaf leaf) =>
        _denied.Contains(leaf.Key) || (leaf is LicenseId { OrLater: true } id && _denied.Contains(id.Id + "+"));

    private bool LeafAllowed(LicenseLeaf leaf) =>
        _allowed!.Contains(leaf.Key) || (leaf is LicenseId { OrLater: true } id && _allowed.Contains(id.Id + "+"));

    private static string Key(LicenseWith w) => w.License.Key + " WITH " + w.Exception;

    private static void Add(string entry, HashSet<string> plain, HashSet<string> with)
    {
        var trimmed = entry.Trim();
        if (LicenseExpression.TryParse(trimmed, out var parsed, out _))
        {
            switch (parsed)
            {
                case LicenseWith w: with.Add(Key(w)); return;
                case LicenseId { OrLater: true } id: plain.Add(id.Id + "+"); return;
                case LicenseLeaf leaf: plain.Add(leaf.Key); return;
            }
        }
        plain.Add(trimmed);
    }
}
