using System.Globalization;
using System.Text.RegularExpressions;
using Attest.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>
/// Turns a <c>PolicyException</c> document into a <see cref="PolicyException"/>: images (globs normalized like
/// ImagePolicy's), namespaces (globs), the image policies it waives (by name, or <c>*</c>), optionally the reason codes
/// it waives, a required <c>expires</c> at most 30 days after the load, a reason and an approver. An exception already
/// expired at load is not an error (it simply has no effect); it is reported as a warning.
/// </summary>
internal static partial class PolicyExceptionParser
{
    public static PolicyException? Parse(
        PolicyDocument document, IReadOnlySet<string> imagePolicyNames, DateTimeOffset now, List<PolicyError> errors, List<PolicyError> warnings)
    {
        var before = errors.Count;
        var reader = new PolicyReader(document.Source.File, errors);
        var spec = reader.Fields(document.Body.Children[new YamlScalarNode("spec")], "spec",
            "images", "namespaces", "policies", "reasons", "expires", "reason", "approver");

        var images = new List<Glob>();
        if (spec.Required("images", "spec") is { } imagesNode)
        {
            foreach (var pattern in reader.StringList(imagesNode, "spec.images", 256))
            {
                if (ImagePolicyParser.NormalizeImagePattern(pattern, out var normalized, out var error)) images.Add(Glob.Compile(normalized));
                else reader.Error(imagesNode, $"spec.images: {error}");
            }
            if (images.Count == 0 && errors.Count == before) reader.Error(imagesNode, "spec.images must list at least one image pattern");
        }
        var namespaces = new List<Glob>();
        if (spec.Required("namespaces", "spec") is { } namespacesNode)
        {
            namespaces.AddRange(reader.StringList(namespacesNode, "spec.namespaces", 256).Select(Glob.Compile));
            if (namespaces.Count == 0 && errors.Count == before) reader.Error(namespacesNode, "spec.namespaces must list at least one namespace pattern");
        }
        var policies = new List<string>();
        if (spec.Required("policies", "spec") is { } policiesNode)
        {
            foreach (var name in reader.StringList(policiesNode, "spec.policies", 256))
            {
                if (name != "*" && !imagePolicyNames.Contains(name))
                    reader.Error(policiesNode, $"spec.policies names '{name}', which is not an ImagePolicy of this directory (a misspelt name would waive nothing)");
                policies.Add(name);
            }
            if (policies.Count == 0 && errors.Count == before) reader.Error(policiesNode, "spec.policies must list at least one ImagePolicy name (or '*')");
        }
        var reasons = new HashSet<string>(StringComparer.Ordinal);
        if (spec.Optional("reasons") is { } reasonsNode)
        {
            foreach (var code in reader.StringList(reasonsNode, "spec.reasons", 256))
            {
                if (!ReasonCode().IsMatch(code)) reader.Error(reasonsNode, $"spec.reasons: '{code}' is not a reason code such as signature.none or vulnerability.severity");
                reasons.Add(code);
            }
        }
        DateTimeOffset? expires = null;
        if (spec.Required("expires", "spec") is { } expiresNode && reader.String(expiresNode, "spec.expires") is { } expiresText)
        {
            if (!ExpiryFormat().IsMatch(expiresText) || !DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                reader.Error(expiresNode, $"spec.expires must be a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z), not '{expiresText}'");
            else
            {
                expires = parsed.ToUniversalTime();
                if (expires.Value - now > PolicyException.MaxLifetime)
                    reader.Error(expiresNode, $"spec.expires is {expires:O}, more than {PolicyException.MaxLifetime.TotalDays:0} days from now ({now:O}); an exception must be renewed, not granted for long");
                else if (expires <= now)
                    warnings.Add(new PolicyError(reader.Locate(expiresNode), $"PolicyException '{document.Name}' expired at {expires:O} and has no effect; remove it"));
            }
        }
        var reason = spec.Required("reason", "spec") is { } reasonNode ? reader.String(reasonNode, "spec.reason") : null;
        var approver = spec.Required("approver", "spec") is { } approverNode ? reader.String(approverNode, "spec.approver") : null;

        if (errors.Count > before || expires is null || reason is null || approver is null) return null;
        return new PolicyException(document.Name, document.Source, images, namespaces, policies, reasons, expires.Value, reason, approver);
    }

    [GeneratedRegex(@"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex ReasonCode();

    /// <summary>A date (midnight UTC) or an RFC 3339 date-time with its offset.</summary>
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2}))?\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex ExpiryFormat();
}
