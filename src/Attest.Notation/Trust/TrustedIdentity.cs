using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Attest.Notation.Trust;

/// <summary>
/// A trusted identity of a trust policy: <c>*</c> (any signing certificate that chains to the trust store), or
/// <c>x509.subject: C=…, ST=…, O=…[, more RDNs]</c>, matched when every attribute it names has the same value in the
/// signing certificate's subject (trust-store-trust-policy.md, "Trusted Identities Constraints"). C, ST (or S) and O are
/// required; <c>\,</c>, <c>\;</c>, <c>\\</c> and leading/trailing <c>\ </c> are escapes.
/// </summary>
public sealed class TrustedIdentity
{
    private const string Prefix = "x509.subject:";

    private static readonly Dictionary<string, string> Oids = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN", ["2.5.4.6"] = "C", ["2.5.4.7"] = "L", ["2.5.4.8"] = "ST", ["2.5.4.10"] = "O", ["2.5.4.11"] = "OU",
        ["2.5.4.5"] = "SERIALNUMBER", ["2.5.4.9"] = "STREET", ["2.5.4.17"] = "POSTALCODE", ["1.2.840.113549.1.9.1"] = "E",
        ["0.9.2342.19200300.100.1.25"] = "DC", ["0.9.2342.19200300.100.1.1"] = "UID", ["2.5.4.12"] = "T", ["2.5.4.42"] = "G", ["2.5.4.4"] = "SN",
    };

    private TrustedIdentity(string text, IReadOnlyDictionary<string, string>? attributes)
    {
        Text = text;
        Attributes = attributes;
    }

    public string Text { get; }

    /// <summary>Null for the wildcard.</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; }

    public bool IsWildcard => Attributes is null;

    public static bool TryParse(string text, [NotNullWhen(true)] out TrustedIdentity? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        if (text == "*")
        {
            identity = new TrustedIdentity(text, null);
            error = null;
            return true;
        }
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = $"trusted identity '{text}' must be '*' or start with '{Prefix}'";
            return false;
        }
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in SplitUnescaped(text[Prefix.Length..]))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"trusted identity '{text}': '{part.Trim()}' is not TYPE=value";
                return false;
            }
            var type = part[..equals].Trim().ToUpperInvariant();
            if (type == "S") type = "ST";
            var value = Unescape(part[(equals + 1)..]);
            if (value.Length == 0)
            {
                error = $"trusted identity '{text}': {type} has an empty value";
                return false;
            }
            if (!attributes.TryAdd(type, value))
            {
                error = $"trusted identity '{text}' names {type} twice";
                return false;
            }
        }
        var missing = new[] { "C", "ST", "O" }.Where(t => !attributes.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            error = $"trusted identity '{text}' must name C, ST (or S) and O; it lacks {string.Join(", ", missing)}";
            return false;
        }
        identity = new TrustedIdentity(text, attributes);
        error = null;
        return true;
    }

    /// <summary>Whether some certificate could match both identities (no attribute they share has different values):
    /// the specification forbids such pairs in one policy.</summary>
    public bool Overlaps(TrustedIdentity other)
    {
        if (IsWildcard || other.IsWildcard) return true;
        foreach (var (type, value) in Attributes!)
            if (other.Attributes!.TryGetValue(type, out var otherValue) && otherValue != value) return false;
        return true;
    }

    public bool Matches(X500DistinguishedName subject)
    {
        if (IsWildcard) return true;
        var found = SubjectAttributes(subject);
        foreach (var (type, value) in Attributes!)
            if (!found.TryGetValue(type, out var values) || !values.Contains(value)) return false;
        return true;
    }

    /// <summary>The subject's attributes by short type name (an attribute may repeat, e.g. several OU).</summary>
    public static Dictionary<string, List<string>> SubjectAttributes(X500DistinguishedName subject)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var rdn in subject.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements) continue;
            var oid = rdn.GetSingleElementType().Value ?? "";
            var type = Oids.TryGetValue(oid, out var name) ? name : oid;
            var value = rdn.GetSingleElementValue();
            if (value is null) continue;
            if (!result.TryGetValue(type, out var list)) result[type] = list = [];
            list.Add(value);
        }
        return result;
    }

    public override string ToString() => Text;

    private static IEnumerable<string> SplitUnescaped(string text)
    {
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                current.Append(text[i]).Append(text[i + 1]);
                i++;
            }
            else if (text[i] == ',')
            {
                yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(text[i]);
            }
        }
        yield return current.ToString();
    }

    /// <summary>Trims unescaped spaces at both ends, then resolves <c>\x</c> to <c>x</c>.</summary>
    private static string Unescape(string raw)
    {
        var start = 0;
        while (start < raw.Length && raw[start] == ' ') start++;
        var end = raw.Length;
        while (end > start && raw[end - 1] == ' ' && !(end - 2 >= start && raw[end - 2] == '\\')) end--;
        var result = new StringBuilder();
        for (var i = start; i < end; i++)
        {
            if (raw[i] == '\\' && i + 1 < end) i++;
            result.Append(raw[i]);
        }
        return result.ToString();
    }
}
