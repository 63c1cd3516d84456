using System.Security.Cryptography;
using Attest.Oci;
using Attest.Core.Crypto;
using Attest.Policy.Model;
using Attest.Sbom.Checks;
using Attest.Sigstore.TrustRoot;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>
/// Turns an <c>ImagePolicy</c> document into an <see cref="ImagePolicy"/>, reporting every schema problem with its
/// position. Files a policy names (public keys, trusted roots) are resolved against the policy directory and read
/// now, so a missing key fails the load, not the first admission request.
/// </summary>
public static class ImagePolicyParser
{
    /// <summary>Workload kinds the admission webhook understands (DESIGN.md §3).</summary>
    public static readonly IReadOnlySet<string> WorkloadKinds = new HashSet<string>(StringComparer.Ordinal)
    {
        "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController",
    };

    private const int MaxAuthorities = 64;
    private const long MaxKeyFileBytes = 64 << 10;
    private const long MaxTrustedRootBytes = 4 << 20;

    /// <param name="namedTrustedRoots">Roots a policy may name (<c>trustedRoot: attest</c> in the server).</param>
    /// <param name="now">The load time, against which allowances of vulnerabilities are found expired.</param>
    /// <param name="warnings">Where problems that do not stop the load go (an expired allowance).</param>
    public static ImagePolicy? Parse(PolicyDocument document, ReferencedFiles files, List<PolicyError> errors,
        IReadOnlyDictionary<string, TrustedRoot>? namedTrustedRoots = null, DateTimeOffset? now = null, List<PolicyError>? warnings = null)
    {
        var before = errors.Count;
        var reader = new PolicyReader(document.Source.File, errors) { NamedTrustedRoots = namedTrustedRoots ?? new Dictionary<string, TrustedRoot>() };
        var spec = reader.Fields(document.Body.Children[new YamlScalarNode("spec")], "spec",
            "match", "mode", "authorities", "signatures", "attestations", "platforms", "vulnerabilities");

        var match = ParseMatch(reader, spec.Required("match", "spec"));
        var mode = PolicyMode.Enforce;
        if (spec.Optional("mode") is { } modeNode)
        {
            switch (reader.String(modeNode, "spec.mode"))
            {
                case "enforce": mode = PolicyMode.Enforce; break;
                case "warn": mode = PolicyMode.Warn; break;
                case "audit": mode = PolicyMode.Audit; break;
                case { } other: reader.Error(modeNode, $"spec.mode must be enforce, warn or audit, not '{other}'"); break;
            }
        }

        var authorities = new Dictionary<string, Authority>(StringComparer.Ordinal);
        if (spec.Optional("authorities") is { } shared)
            foreach (var node in reader.Sequence(shared, "spec.authorities", MaxAuthorities))
                AddAuthority(reader, node, files, authorities);

        SignatureRequirement? signatures = null;
        if (spec.Optional("signatures") is { } signaturesNode)
            signatures = ParseSignatures(reader, signaturesNode, files, authorities);

        var attestations = new List<AttestationRequirement>();
        if (spec.Optional("attestations") is { } attestationsNode)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in reader.Sequence(attestationsNode, "spec.attestations", 64))
                if (ParseAttestation(reader, node, authorities) is { } attestation)
                {
                    if (!names.Add(attestation.Name)) reader.Error(node, $"attestation '{attestation.Name}' is listed twice");
                    attestations.Add(attestation);
                }
        }

        var vulnerabilities = spec.Optional("vulnerabilities") is { } vulnerabilitiesNode
            ? VulnerabilityRequirementParser.Parse(reader, vulnerabilitiesNode, authorities, now ?? DateTimeOffset.UnixEpoch, warnings)
            : null;

        if (signatures is null && attestations.Count == 0 && vulnerabilities is null)
            reader.Error(spec.Node, "spec needs 'signatures', 'attestations' or 'vulnerabilities' (a policy that requires nothing would admit everything it matches)");

        var platforms = spec.Optional("platforms") is { } platformsNode ? ParsePlatforms(reader, platformsNode, signatures) : null;

        // A declared authority that no requirement names would look like trust the policy grants, yet count for nothing.
        foreach (var authority in authorities.Values)
            if (signatures?.AuthorityNames.Contains(authority.Name) != true && !attestations.Any(a => a.AuthorityNames.Contains(authority.Name)) &&
                vulnerabilities?.AuthorityNames.Contains(authority.Name) != true && vulnerabilities?.Vex?.AuthorityNames.Contains(authority.Name) != true)
                errors.Add(new PolicyError(authority.Source, $"authority '{authority.Name}' is declared but no signature, attestation or vulnerability requirement names it"));

        if (errors.Count > before || match is null) return null;
        return new ImagePolicy(document.Name, document.Source, match, mode, authorities, signatures, attestations, platforms, vulnerabilities);
    }

    private static ImageMatch? ParseMatch(PolicyReader reader, YamlNode? node)
    {
        if (node is null) return null;
        var fields = reader.Fields(node, "spec.match", "images", "namespaces", "kinds");
        var images = new List<Glob>();
        if (fields.Required("images", "spec.match") is { } imagesNode)
        {
            foreach (var pattern in reader.StringList(imagesNode, "spec.match.images"))
            {
                if (NormalizeImagePattern(pattern, out var normalized, out var error)) images.Add(Glob.Compile(normalized));
                else reader.Error(imagesNode, $"spec.match.images: {error}");
            }
            if (images.Count == 0 && !reader.HasErrors) reader.Error(imagesNode, "spec.match.images must list at least one pattern");
        }
        var namespaces = fields.Optional("namespaces") is { } ns
            ? reader.StringList(ns, "spec.match.namespaces").Select(Glob.Compile).ToList()
            : [];
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        if (fields.Optional("kinds") is { } kindsNode)
            foreach (var kind in reader.StringList(kindsNode, "spec.match.kinds"))
            {
                if (WorkloadKinds.Contains(kind)) kinds.Add(kind);
                else reader.Error(kindsNode, $"spec.match.kinds: unknown workload kind '{kind}' (expected {string.Join(", ", WorkloadKinds)})");
            }
        return new ImageMatch(images, namespaces, kinds);
    }

    /// <summary>Patterns are matched against canonical references (<see cref="RegistryHost"/>), so a pattern must be
    /// written in that form: <c>nginx</c> still means <c>docker.io/library/nginx</c> and <c>team/*</c> means
    /// <c>docker.io/team/*</c> (the reference grammar's short names), but a pattern that can never match is an error
    /// naming what to write instead: capitals (names are lower case), a registry alias (<c>index.docker.io</c>,
    /// <c>docker.io:443</c>, <c>localhost</c>, <c>127.1</c>, <c>[::1]</c>, <c>:443</c>), a Docker Hub repository
    /// without its namespace. Patterns starting with a wildcard are taken as written.</summary>
    internal static bool NormalizeImagePattern(string pattern, out string normalized, out string? error)
    {
        normalized = pattern;
        error = null;
        if (pattern.Contains('@', StringComparison.Ordinal) || pattern.Length > 512)
        {
            error = $"pattern '{pattern}' must name repositories (registry/path globs), not digests";
            return false;
        }
        if (pattern.Any(char.IsUpper))
        {
            error = $"pattern '{pattern}' can never match: image names are matched in lower case; write '{pattern.ToLowerInvariant()}'";
            return false;
        }
        if (pattern.StartsWith('*')) return true;
        var slash = pattern.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? pattern : pattern[..slash];
        var hasRegistry = slash > 0 && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"
                                        || first.StartsWith('['));
        if (!hasRegistry)
        {
            normalized = ImageReference.DockerHub + "/" + (slash < 0 ? "library/" : "") + pattern;
            return true;
        }
        var rest = pattern[(slash + 1)..];
        if (!first.Contains('*', StringComparison.Ordinal) && !first.Contains('?', StringComparison.Ordinal))
        {
            var canonical = RegistryHost.Canonicalize(first);
            if (canonical is null)
            {
                error = $"pattern '{pattern}' names '{first}', which is not a registry host[:port]";
                return false;
            }
            if (canonical != first)
            {
                error = $"pattern '{pattern}' can never match: references to registry '{first}' are matched as '{canonical}'; write '{Suggest(canonical, rest)}'";
                return false;
            }
            if (canonical == ImageReference.DockerHub && !rest.Contains('/', StringComparison.Ordinal) && !rest.Contains("**", StringComparison.Ordinal))
            {
                error = $"pattern '{pattern}' can never match: every Docker Hub repository has a namespace; write '{Suggest(canonical, rest)}'";
                return false;
            }
        }
        return true;
    }

    private static string Suggest(string canonical, string rest) =>
        canonical + "/" + (canonical == ImageReference.DockerHub && !rest.Contains('/', StringComparison.Ordinal) && !rest.Contains("**", StringComparison.Ordinal) ? "library/" : "") + rest;

    /// <summary><c>platforms: {required: [linux/amd64, linux/arm64], signed: true}</c>.</summary>
    private static PlatformRequirement? ParsePlatforms(PolicyReader reader, YamlNode node, SignatureRequirement? signatures)
    {
        var fields = reader.Fields(node, "spec.platforms", "required", "signed");
        var required = new List<PlatformName>();
        if (fields.Required("required", "spec.platforms") is { } list)
        {
            foreach (var text in reader.StringList(list, "spec.platforms.required", 64))
            {
                if (!PlatformName.TryParse(text, out var platform))
                    reader.Error(list, $"spec.platforms.required: '{text}' is not os/architecture[/variant] in lower case (for example linux/amd64, linux/arm/v7)");
                else if (required.Contains(platform!))
                    reader.Error(list, $"spec.platforms.required lists '{text}' twice");
                else
                    required.Add(platform!);
            }
            if (required.Count == 0 && !reader.HasErrors) reader.Error(list, "spec.platforms.required must list at least one platform");
        }
        var signed = fields.Optional("signed") is { } signedNode && reader.Boolean(signedNode, "spec.platforms.signed") == true;
        if (signed && signatures is null)
            reader.Error(node, "spec.platforms.signed needs spec.signatures (the platform manifests must meet that requirement)");
        return new PlatformRequirement(reader.Locate(node), required, signed);
    }

    private static SignatureRequirement? ParseSignatures(PolicyReader reader, YamlNode node, ReferencedFiles files, Dictionary<string, Authority> authorities)
    {
        var fields = reader.Fields(node, "spec.signatures", "threshold", "authorities");
        var names = new List<string>();
        if (fields.Required("authorities", "spec.signatures") is { } list)
        {
            foreach (var item in reader.Sequence(list, "spec.signatures.authorities", MaxAuthorities))
            {
                if (item is YamlScalarNode { Value: { } reference })
                {
                    if (authorities.ContainsKey(reference)) names.Add(reference);
                    else reader.Error(item, $"authority '{reference}' is not declared in spec.authorities");
                }
                else if (AddAuthority(reader, item, files, authorities) is { } declared) names.Add(declared.Name);
            }
        }
        var threshold = fields.Optional("threshold") is { } t ? reader.Integer(t, "spec.signatures.threshold", 1, MaxAuthorities) : 1;
        if (threshold is int n && names.Count > 0 && n > names.Count)
            reader.Error(node, $"spec.signatures.threshold is {n} but only {names.Count} authorities are listed");
        return new SignatureRequirement(threshold ?? 1, names);
    }

    private static Authority? AddAuthority(PolicyReader reader, YamlNode node, ReferencedFiles files, Dictionary<string, Authority> authorities)
    {
        var fields = reader.Fields(node, "authority", "name", "key", "keyless", "notation", "transparencyLog", "trustedRoot");
        var name = fields.Required("name", "authority") is { } n ? reader.String(n, "authority name") : null;
        var keyNode = fields.Optional("key");
        var keylessNode = fields.Optional("keyless");
        var notationNode = fields.Optional("notation");
        if ((keyNode is null ? 0 : 1) + (keylessNode is null ? 0 : 1) + (notationNode is null ? 0 : 1) != 1)
        {
            reader.Error(node, $"authority '{name}' needs exactly one of 'key', 'keyless' or 'notation'");
            return null;
        }
        if (notationNode is not null)
        {
            if (fields.Optional("transparencyLog") is { } tl) reader.Error(tl, $"authority '{name}': transparencyLog does not apply to Notary signatures");
            if (fields.Optional("trustedRoot") is { } tr) reader.Error(tr, $"authority '{name}': trustedRoot does not apply to Notary signatures (use notation.trustStore)");
            if (name is null || NotationAuthorityParser.Parse(reader, notationNode, name, files) is not { } notation) return null;
            return Declare(reader, node, notation, authorities);
        }
        var tlog = keylessNode is not null ? TransparencyLogRequirement.Required : TransparencyLogRequirement.Optional;
        if (fields.Optional("transparencyLog") is { } tlogNode)
        {
            switch (reader.String(tlogNode, "transparencyLog"))
            {
                case "required": tlog = TransparencyLogRequirement.Required; break;
                case "optional": tlog = TransparencyLogRequirement.Optional; break;
                case { } other: reader.Error(tlogNode, $"transparencyLog must be required or optional, not '{other}'"); break;
            }
        }
        if (name is null) return null;
        var root = LoadTrustedRoot(reader, fields.Optional("trustedRoot"), files);
        if (root is null) return null;

        Authority? authority = keyNode is not null
            ? ParseKey(reader, keyNode, name, tlog, root, files)
            : ParseKeyless(reader, keylessNode!, name, tlog, root);
        return authority is null ? null : Declare(reader, node, authority, authorities);
    }

    private static Authority? Declare(PolicyReader reader, YamlNode node, Authority authority, Dictionary<string, Authority> authorities)
    {
        if (authorities.TryAdd(authority.Name, authority)) return authority;
        reader.Error(node, $"authority '{authority.Name}' is declared twice");
        return null;
    }

    /// <summary>The name of the server's own trust root in policies.</summary>
    public const string AttestTrustedRoot = "attest";

    /// <summary><c>trustedRoot: default</c> (or absent) is the embedded Sigstore public-good root; <c>attest</c> the
    /// server's own (its keyless CA, ledger and TSA); anything else is a trusted_root.json file beside the policies
    /// (air-gapped and private deployments).</summary>
    private static PolicyTrustedRoot? LoadTrustedRoot(PolicyReader reader, YamlNode? node, ReferencedFiles files)
    {
        if (node is null) return PolicyTrustedRoot.PublicGood;
        var file = reader.String(node, "trustedRoot");
        if (file is null) return null;
        if (file == "default") return PolicyTrustedRoot.PublicGood;
        if (file == AttestTrustedRoot)
        {
            // The server's own root is fixed for the life of the process: its name stands for its content.
            if (reader.NamedTrustedRoots.TryGetValue(AttestTrustedRoot, out var own)) return new PolicyTrustedRoot(own, AttestTrustedRoot, AttestTrustedRoot);
            reader.Error(node, "trustedRoot: attest names the Attest server's own trust root (CA, log, TSA); it exists only where the server loads the policies (elsewhere give the file GET /v1/trusted-root serves)");
            return null;
        }
        if (files.Read(reader, node, file, "trusted root", MaxTrustedRootBytes) is not { } bytes) return null;
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        var (root, finding) = files.Parsed(digest, () => TrustedRoot.TryParse(bytes, out var parsed, out var failure) ? (parsed, (Core.Finding?)null) : (null, failure));
        if (root is null)
        {
            reader.Error(node, $"trusted root file {file} is not a valid trusted_root.json: {finding!.Message}");
            return null;
        }
        return new PolicyTrustedRoot(root, Path.GetFullPath(Path.Combine(files.PolicyDirectory, file)), digest);
    }

    private static KeyAuthority? ParseKey(
        PolicyReader reader, YamlNode node, string name, TransparencyLogRequirement tlog, PolicyTrustedRoot root, ReferencedFiles files)
    {
        var fields = reader.Fields(node, $"authority '{name}' key", "file", "pem");
        string? pem = null;
        string origin;
        if (fields.Optional("file") is { } fileNode && reader.String(fileNode, "key.file") is { } file)
        {
            origin = Path.GetFullPath(Path.Combine(files.PolicyDirectory, file));
            if (files.Read(reader, fileNode, file, "key", MaxKeyFileBytes) is not { } bytes) return null;
            try
            {
                pem = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (System.Text.DecoderFallbackException)
            {
                reader.Error(fileNode, $"key file {file} is not UTF-8 text");
                return null;
            }
        }
        else if (fields.Optional("pem") is { } pemNode)
        {
            pem = reader.String(pemNode, "key.pem");
            origin = "inline PEM";
        }
        else
        {
            reader.Error(node, $"authority '{name}' key needs 'file' or 'pem'");
            return null;
        }
        if (pem is null) return null;
        if (!PemEncoding.TryFind(pem, out var fields2) || pem[fields2.Label] != "PUBLIC KEY")
        {
            reader.Error(node, $"authority '{name}' key is not a PEM public key (-----BEGIN PUBLIC KEY-----)");
            return null;
        }
        var der = Convert.FromBase64String(pem[fields2.Base64Data].ToString());
        if (!PublicKey.TryParseSubjectPublicKeyInfo(der, out var key, out var keyError))
        {
            reader.Error(node, $"authority '{name}' key cannot be used: {keyError}");
            return null;
        }
        return new KeyAuthority(name, reader.Locate(node), tlog, root, key, origin);
    }

    private static KeylessAuthority? ParseKeyless(
        PolicyReader reader, YamlNode node, string name, TransparencyLogRequirement tlog, PolicyTrustedRoot root)
    {
        var fields = reader.Fields(node, $"authority '{name}' keyless", "identities");
        var identities = new List<IdentityMatcher>();
        if (fields.Required("identities", $"authority '{name}' keyless") is { } list)
        {
            foreach (var item in reader.Sequence(list, "keyless.identities", 64))
            {
                var identity = reader.Fields(item, "identity", "issuer", "issuerRegExp", "subject", "subjectRegExp", "claims");
                var issuer = identity.Optional("issuer") is { } i ? reader.String(i, "identity.issuer") : null;
                var issuerRegExp = identity.Optional("issuerRegExp") is { } ir ? reader.Regex(ir, "identity.issuerRegExp") : null;
                var subject = identity.Optional("subject") is { } s ? reader.String(s, "identity.subject") : null;
                var subjectRegExp = identity.Optional("subjectRegExp") is { } sr ? reader.Regex(sr, "identity.subjectRegExp") : null;
                // Keyless without an issuer and a subject would accept anyone Fulcio certifies.
                if ((issuer is null) == (issuerRegExp is null)) reader.Error(item, "identity needs exactly one of 'issuer' or 'issuerRegExp'");
                if ((subject is null) == (subjectRegExp is null)) reader.Error(item, "identity needs exactly one of 'subject' or 'subjectRegExp'");
                var claims = new Dictionary<int, string>();
                if (identity.Optional("claims") is { } claimsNode)
                {
                    if (claimsNode is not YamlMappingNode claimsMap) reader.Error(claimsNode, "identity.claims must be a mapping of claim name to exact value");
                    else
                    {
                        foreach (var (key, value) in claimsMap.Children)
                        {
                            var claim = key.ToString();
                            if (!IdentityMatcher.ClaimArcs.TryGetValue(claim, out var arc))
                                reader.Error(key, $"unknown claim '{claim}' (expected {string.Join(", ", IdentityMatcher.ClaimArcs.Keys.Order(StringComparer.Ordinal))})");
                            else claims[arc] = reader.String(value, $"identity.claims.{claim}") ?? "";
                        }
                    }
                }
                identities.Add(new IdentityMatcher(issuer, issuerRegExp, subject, subjectRegExp) { Claims = claims });
            }
            if (identities.Count == 0) reader.Error(list, $"authority '{name}' keyless needs at least one identity");
        }
        return new KeylessAuthority(name, reader.Locate(node), tlog, root, identities);
    }

    private static AttestationRequirement? ParseAttestation(PolicyReader reader, YamlNode node, Dictionary<string, Authority> authorities)
    {
        var fields = reader.Fields(node, "attestation", "name", "predicateType", "authorities", "conditions", "sbom");
        var name = fields.Required("name", "attestation") is { } n ? reader.String(n, "attestation name") : null;
        var predicateType = fields.Required("predicateType", "attestation") is { } p ? reader.String(p, "attestation predicateType") : null;
        var names = new List<string>();
        if (fields.Required("authorities", "attestation") is { } list)
        {
            foreach (var authority in reader.StringList(list, "attestation authorities", MaxAuthorities))
            {
                if (authorities.ContainsKey(authority)) names.Add(authority);
                else reader.Error(list, $"attestation '{name}' names authority '{authority}', which is not declared");
            }
        }
        var conditions = new List<PredicateCondition>();
        if (fields.Optional("conditions") is { } conditionsNode)
            foreach (var item in reader.Sequence(conditionsNode, "attestation conditions", 64))
                if (ParseCondition(reader, item) is { } condition) conditions.Add(condition);
        var sbom = fields.Optional("sbom") is { } sbomNode ? ParseSbomRule(reader, sbomNode) : null;
        if (name is null || predicateType is null) return null;
        return new AttestationRequirement(name, reader.Locate(node), predicateType, names, conditions, sbom);
    }

    private static PredicateCondition? ParseCondition(PolicyReader reader, YamlNode node)
    {
        var fields = reader.Fields(node, "condition", "path", "equals", "matches", "oneOf", "exists", "cel");
        if (fields.Optional("cel") is { } celNode)
        {
            if (new[] { "path", "equals", "matches", "oneOf", "exists" }.Any(f => fields.Optional(f) is not null))
            {
                reader.Error(node, "a cel condition stands alone: it has no path, equals, matches, oneOf or exists");
                return null;
            }
            return CelConditionParser.Parse(reader, node, celNode);
        }
        var path = fields.Required("path", "condition") is { } p ? reader.String(p, "condition path") : null;
        if (path is not null && !path.StartsWith('/')) { reader.Error(node, $"condition path '{path}' must be a JSON pointer starting with '/'"); return null; }
        var operators = new[] { "equals", "matches", "oneOf", "exists" }.Where(o => fields.Optional(o) is not null).ToList();
        if (operators.Count != 1) { reader.Error(node, "condition needs exactly one of equals, matches, oneOf, exists"); return null; }
        var value = fields.Optional(operators[0])!;
        var at = reader.Locate(node);
        return (path, operators[0]) switch
        {
            (null, _) => null,
            (_, "equals") => reader.String(value, "condition equals") is { } v ? new EqualsCondition(at, path, v) : null,
            (_, "matches") => reader.Regex(value, "condition matches") is { } r ? new MatchesCondition(at, path, r) : null,
            (_, "oneOf") => reader.StringList(value, "condition oneOf") is { Count: > 0 } values ? new OneOfCondition(at, path, values) : OneOfEmpty(reader, value),
            _ => reader.Boolean(value, "condition exists") is { } expected ? new ExistsCondition(at, path, expected) : null,
        };
    }

    private static PredicateCondition? OneOfEmpty(PolicyReader reader, YamlNode node)
    {
        // An empty list can never be met: the policy would deny every image it covers, which is surely not meant.
        if (node is YamlSequenceNode { Children.Count: 0 }) reader.Error(node, "condition oneOf must list at least one value");
        return null;
    }

    /// <summary>The SBOM checks of an attestation, validated now with Attest.Sbom's own rules (component patterns,
    /// licence lists), so a typo fails the policy load.</summary>
    internal static SbomPolicy ParseSbomRule(PolicyReader reader, YamlNode node, string what = "sbom")
    {
        var fields = reader.Fields(node, what, "deniedLicenses", "allowedLicenses", "deniedComponents", "ntiaMinimumElements", "maxAge", "maxComponents");
        var policy = new SbomPolicy
        {
            DeniedLicenses = fields.Optional("deniedLicenses") is { } d ? reader.StringList(d, "sbom.deniedLicenses") : [],
            AllowedLicenses = fields.Optional("allowedLicenses") is { } a ? reader.StringList(a, "sbom.allowedLicenses") : null,
            DeniedComponents = fields.Optional("deniedComponents") is { } c ? reader.StringList(c, "sbom.deniedComponents") : [],
            RequireNtiaMinimumElements = fields.Optional("ntiaMinimumElements") is { } n && reader.Boolean(n, "sbom.ntiaMinimumElements") == true,
            MaxAge = fields.Optional("maxAge") is { } m ? reader.Duration(m, "sbom.maxAge") : null,
            MaxComponents = fields.Optional("maxComponents") is { } x ? reader.Integer(x, "sbom.maxComponents", 1, 10_000_000) : null,
        };
        foreach (var error in policy.Validate()) reader.Error(node, $"sbom: {error}");
        return policy;
    }
}
