using System.Globalization;
using Attest.Core;
using Attest.Sbom.Licensing;
using Attest.Sbom.Model;
using Attest.Sbom.PackageUrls;
using Attest.Sbom.Reading;

namespace Attest.Sbom.Checks;

/// <summary>
/// Evaluates a read SBOM against an <see cref="SbomPolicy"/> and returns every finding (an empty list means it
/// passes). Unusable input is returned as read; otherwise the checks run in a fixed order: schema validity, size
/// limits, subject binding, age, licences, denied components, NTIA minimum elements.
/// </summary>
public sealed class SbomChecker(TimeProvider time)
{
    /// <summary>How many component names a finding lists before it says "and N more".</summary>
    public const int ListedComponents = 20;

    public IReadOnlyList<Finding> Check(SbomReadResult read, SbomPolicy policy, Digest? subject = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(policy);
        var policyErrors = policy.Validate();
        if (policyErrors.Count > 0) throw new ArgumentException("invalid SBOM policy: " + string.Join("; ", policyErrors), nameof(policy));
        if (read.Document is not { } doc) return read.Findings;

        var findings = new List<Finding>();
        if (policy.RequireSchemaValidity) findings.AddRange(read.Findings);
        CheckLimits(read, doc, policy, findings);
        if (subject is { } s) CheckSubject(read, doc, s, findings);
        if (policy.MaxAge is { } maxAge) CheckAge(doc, maxAge, policy.FutureSkew, findings);
        if (policy.DeniedLicenses.Count > 0 || policy.AllowedLicenses is not null) CheckLicenses(doc, policy, findings);
        if (policy.DeniedComponents.Count > 0) CheckComponents(doc, policy, findings);
        if (policy.RequireNtiaMinimumElements) findings.AddRange(CheckNtia(doc));
        return findings;
    }

    private static void CheckLimits(SbomReadResult read, SbomDocument doc, SbomPolicy policy, List<Finding> findings)
    {
        if (policy.MaxComponents is { } max && doc.Components.Count > max)
            findings.Add(new Finding(SbomCodes.LimitsComponents,
                $"The SBOM lists {doc.Components.Count} components; the policy allows at most {max}.",
                new Dictionary<string, string> { ["components"] = Num(doc.Components.Count), ["limit"] = Num(max) }));
        if (policy.MaxBytes is { } maxBytes && read.Bytes > maxBytes)
            findings.Add(new Finding(SbomCodes.LimitsBytes,
                $"The SBOM is {read.Bytes} bytes; the policy allows at most {maxBytes}.",
                new Dictionary<string, string> { ["bytes"] = Num(read.Bytes), ["limit"] = Num(maxBytes) }));
    }

    /// <summary>The SBOM must describe the artifact it is attached to: an attestation's statement subject, or for a
    /// bare document the described component (CycloneDX <c>metadata.component</c>, SPDX DESCRIBES targets) by
    /// SHA-256 hash or by an OCI purl carrying the digest.</summary>
    private static void CheckSubject(SbomReadResult read, SbomDocument doc, Digest subject, List<Finding> findings)
    {
        var found = new List<string>();
        if (read.Attestation is { Subjects.Count: > 0 } attestation)
        {
            foreach (var s in attestation.Subjects)
                foreach (var (alg, hex) in s.Digests)
                    found.Add(alg + ":" + hex.ToLowerInvariant());
        }
        else
        {
            var described = new List<Component>();
            if (doc.Subject is not null) described.Add(doc.Subject);
            var roots = doc.Roots.ToHashSet(StringComparer.Ordinal);
            described.AddRange(doc.Components.Where(c => c.Id is not null && roots.Contains(c.Id)));
            foreach (var c in described)
            {
                foreach (var h in c.Hashes)
                    if (h.Algorithm is HashAlgorithm.Sha256 or HashAlgorithm.Sha384 or HashAlgorithm.Sha512)
                        found.Add(h.Algorithm.ToString().ToLowerInvariant() + ":" + h.Value);
                if (c.Purl is not null && PackageUrl.TryParse(c.Purl, out var purl, out _))
                {
                    if (purl.Version is { } v && v.Contains(':', StringComparison.Ordinal)) found.Add(v.ToLowerInvariant());
                    if (purl.Qualifiers.TryGetValue("digest", out var d)) found.Add(d.ToLowerInvariant());
                }
            }
        }
        if (found.Contains(subject.ToString(), StringComparer.Ordinal)) return;
        findings.Add(new Finding(SbomCodes.SubjectMismatch,
            found.Count == 0
                ? $"The SBOM does not say which artifact it describes, so it cannot be bound to {subject}."
                : $"The SBOM describes {string.Join(", ", found.Take(5))}, not {subject}.",
            new Dictionary<string, string> { ["expected"] = subject.ToString(), ["found"] = string.Join(",", found.Take(20)) }));
    }

    private void CheckAge(SbomDocument doc, TimeSpan maxAge, TimeSpan skew, List<Finding> findings)
    {
        var now = time.GetUtcNow();
        if (doc.Creation.Created is not { } created)
        {
            findings.Add(new Finding(SbomCodes.AgeUnknown,
                $"The SBOM has no readable creation time{(doc.Creation.CreatedText is { Length: > 0 } t ? $" ('{t}')" : "")}, so its age cannot be checked.",
                null));
            return;
        }
        var evidence = new Dictionary<string, string> { ["created"] = created.ToString("O", CultureInfo.InvariantCulture), ["now"] = now.ToString("O", CultureInfo.InvariantCulture), ["maxAge"] = maxAge.ToString() };
        if (created > now + skew)
            findings.Add(new Finding(SbomCodes.AgeInFuture, $"The SBOM claims to be created at {created:O}, after the current time {now:O}.", evidence));
        else if (now - created > maxAge)
            findings.Add(new Finding(SbomCodes.AgeExceeded, $"The SBOM was created at {created:O}, {(now - created).TotalHours:0} hours ago; the policy allows {maxAge.TotalHours:0} hours.", evidence));
    }

    /// <summary>A component's licences are its concluded ones when the SBOM states any, otherwise its declared ones;
    /// several licence entries on one component all apply (as if joined by AND).</summary>
    internal static IReadOnlyList<ComponentLicense> EffectiveLicenses(Component c)
    {
        var concluded = c.Licenses.Where(l => l.Acknowledgement == LicenseAcknowledgement.Concluded).ToList();
        return concluded.Count > 0 ? concluded : c.Licenses;
    }

    private static void CheckLicenses(SbomDocument doc, SbomPolicy policy, List<Finding> findings)
    {
        var licensePolicy = new LicensePolicy(policy.DeniedLicenses, policy.AllowedLicenses);
        var denied = new Dictionary<string, List<Component>>(StringComparer.OrdinalIgnoreCase);
        var notAllowed = new Dictionary<string, List<Component>>(StringComparer.OrdinalIgnoreCase);
        var unparseable = new Dictionary<string, List<Component>>(StringComparer.Ordinal);
        foreach (var c in doc.Components)
        {
            var licenses = EffectiveLicenses(c);
            if (licenses.Count == 0 && licensePolicy.HasAllowList) Add(notAllowed, "(no licence stated)", c);
            foreach (var l in licenses)
            {
                if (l.Expression is not { } expression) { Add(unparseable, l.Text, c); continue; }
                if (licensePolicy.IsDenied(expression)) Add(denied, expression.ToString(), c);
                else if (licensePolicy.IsNotAllowed(expression)) Add(notAllowed, expression.ToString(), c);
            }
        }
        foreach (var (license, components) in denied)
            findings.Add(ComponentsFinding(SbomCodes.LicenseDenied, $"Licence {license} is denied by policy and binds", components, ("license", license)));
        foreach (var (license, components) in notAllowed)
            findings.Add(ComponentsFinding(SbomCodes.LicenseNotAllowed, $"Licence {license} is not on the policy's allow list and binds", components, ("license", license)));
        foreach (var (text, components) in unparseable)
            findings.Add(ComponentsFinding(SbomCodes.LicenseUnparseable, $"Licence '{Short(text)}' is not a valid SPDX licence expression (so it cannot be checked); it is stated by", components, ("license", Short(text))));
    }

    private static void CheckComponents(SbomDocument doc, SbomPolicy policy, List<Finding> findings)
    {
        var rules = policy.DeniedComponents.Select(r => ComponentRule.TryParse(r, out var rule, out _) ? rule : throw new InvalidOperationException("validated above")).ToList();
        var hits = new Dictionary<ComponentRule, List<Component>>();
        foreach (var c in doc.Components)
        {
            if (c.Purl is null || !PackageUrl.TryParse(c.Purl, out var purl, out _)) continue;
            foreach (var rule in rules)
                if (rule.Matches(purl)) Add(hits, rule, c);
        }
        foreach (var (rule, components) in hits)
            findings.Add(ComponentsFinding(SbomCodes.ComponentDenied, $"Component rule {rule.Text} denies", components, ("rule", rule.Text)));
    }

    /// <summary>NTIA "Minimum Elements for an SBOM" (2021) data fields; <c>NOASSERTION</c> and blanks count as missing.</summary>
    public static IReadOnlyList<Finding> CheckNtia(SbomDocument doc)
    {
        var findings = new List<Finding>();
        void PerComponent(string code, string element, Func<Component, bool> missing, IEnumerable<string>? extra = null)
        {
            var offending = doc.Components.Where(missing).Select(c => c.DisplayName).Concat(extra ?? []).ToList();
            if (offending.Count > 0)
                findings.Add(NamesFinding(code, $"NTIA minimum element '{element}' is missing for", offending, ("element", element)));
        }
        PerComponent(SbomCodes.NtiaSupplier, "supplier name", c => IsMissing(c.Supplier));
        PerComponent(SbomCodes.NtiaName, "component name", c => IsMissing(c.Name));
        PerComponent(SbomCodes.NtiaVersion, "version", c => IsMissing(c.Version));
        // SPDX: every element must carry its SPDXID / spdxId (purl and CPE are additional identifiers); CycloneDX:
        // bom-ref, purl, CPE or SWID tag id.
        PerComponent(SbomCodes.NtiaIdentifier, "unique identifier",
            c => doc.Format == SbomFormat.CycloneDx ? IsMissing(c.Id) && IsMissing(c.Purl) && IsMissing(c.Cpe) : IsMissing(c.Id),
            doc.ElementsWithoutIdentifier);
        if (!doc.HasDependencyRelationships)
            findings.Add(new Finding(SbomCodes.NtiaDependency,
                "NTIA minimum element 'dependency relationship' is missing: the SBOM states no relationship from what it describes to its components.",
                new Dictionary<string, string> { ["element"] = "dependency relationship" }));
        if (doc.Creation.Authors.Count == 0 && doc.Creation.Tools.Count == 0)
            findings.Add(new Finding(SbomCodes.NtiaAuthor, "NTIA minimum element 'author of SBOM data' is missing: no author, creator or tool is named.",
                new Dictionary<string, string> { ["element"] = "author" }));
        if (doc.Creation.Created is null)
            findings.Add(new Finding(SbomCodes.NtiaTimestamp, "NTIA minimum element 'timestamp' is missing or not a date-time.",
                new Dictionary<string, string> { ["element"] = "timestamp" }));
        return findings;
    }

    private static bool IsMissing(string? value) => string.IsNullOrWhiteSpace(value) || value.Trim() == "NOASSERTION";

    private static void Add<TKey>(Dictionary<TKey, List<Component>> map, TKey key, Component c)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(c);
    }

    private static Finding ComponentsFinding(string code, string prefix, List<Component> components, (string Key, string Value) extra) =>
        NamesFinding(code, prefix, components.Select(c => c.DisplayName).ToList(), extra);

    private static Finding NamesFinding(string code, string prefix, List<string> names, (string Key, string Value) extra)
    {
        var listed = string.Join(", ", names.Take(ListedComponents));
        var more = names.Count > ListedComponents ? $" and {names.Count - ListedComponents} more" : "";
        return new Finding(code, $"{prefix} {names.Count} component(s): {listed}{more}.",
            new Dictionary<string, string> { [extra.Key] = extra.Value, ["count"] = Num(names.Count), ["components"] = string.Join("\n", names.Take(1000)) });
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
