using System.Text.Json;
using Attest.Core;
using System.Text.RegularExpressions;
using Attest.Sbom.Json;
using Attest.Sbom.Licensing;
using Attest.Sbom.Model;

namespace Attest.Sbom.Reading;

/// <summary>
/// SPDX 2.2 / 2.3 JSON (<c>spdx-schema.json</c> on spdx/spdx-spec support/2.3), plus the pre-2.2 layout that wraps
/// everything in <c>"Document"</c> and nests packages inside <c>documentDescribes</c>. Packages, files and
/// relationships are streamed one at a time. Structural rules: the schema's required properties, the
/// <c>SPDXRef-</c> id pattern, <c>SPDXRef-DOCUMENT</c>, <c>dataLicense CC0-1.0</c>, the creation timestamp, and
/// (from the spec text, not the schema) a mandatory <c>documentNamespace</c>.
/// </summary>
internal sealed partial class Spdx2Reader
{
    [GeneratedRegex("^SPDXRef-[A-Za-z0-9.\\-]+\\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SpdxIdPattern();

    // spdx-schema.json (2.3) enumerations.
    private static readonly System.Collections.Frozen.FrozenSet<string> ChecksumAlgorithms = System.Collections.Frozen.FrozenSet.ToFrozenSet(
        ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3-256", "SHA3-384", "SHA3-512", "BLAKE2b-256", "BLAKE2b-384", "BLAKE2b-512", "BLAKE3",
         "MD2", "MD4", "MD5", "MD6", "ADLER32"], StringComparer.Ordinal);

    // Annex F categories; the underscore spellings are the SPDX 2.2 forms still written by tools.
    private static readonly System.Collections.Frozen.FrozenSet<string> ReferenceCategories = System.Collections.Frozen.FrozenSet.ToFrozenSet(
        ["SECURITY", "PACKAGE-MANAGER", "PACKAGE_MANAGER", "PERSISTENT-ID", "PERSISTENT_ID", "OTHER"], StringComparer.Ordinal);

    private readonly SbomLimits _limits;
    private readonly Violations _violations;
    private readonly List<Component> _packages = [];
    private readonly List<Relationship> _relationships = [];
    private readonly HashSet<string> _fileIds = new(StringComparer.Ordinal);
    private readonly List<string> _roots = [];
    private readonly HashSet<string> _externalDocuments = new(StringComparer.Ordinal);
    private readonly List<(string Id, string Path)> _references = [];
    private Finding? _limitFinding;

    private Spdx2Reader(SbomLimits limits, Violations violations)
    {
        _limits = limits;
        _violations = violations;
    }

    public static (SbomDocument? Document, Finding? Unusable) Read(ReadOnlyMemory<byte> json, SbomLimits limits, Violations violations, string pathPrefix = "$") =>
        new Spdx2Reader(limits, violations).ReadDocument(json.Span, pathPrefix);

    private (SbomDocument?, Finding?) ReadDocument(ReadOnlySpan<byte> json, string root)
    {
        string? spdxVersion = null, spdxId = null, name = null, dataLicense = null, ns = null;
        var creation = new CreationInfo();
        var sawCreation = false;

        JsonStream.ForEachTopLevelProperty(json, _limits, (string property, ref Utf8JsonReader r) =>
        {
            var path = JsonPath.Prop(root, property);
            switch (property)
            {
                case "spdxVersion": spdxVersion = JsonStream.StringValue(ref r); break;
                case "SPDXID": spdxId = JsonStream.StringValue(ref r); break;
                case "name": name = JsonStream.StringValue(ref r); break;
                case "dataLicense": dataLicense = JsonStream.StringValue(ref r); break;
                case "documentNamespace": ns = JsonStream.StringValue(ref r); break;
                case "creationInfo":
                    sawCreation = true;
                    using (var doc = JsonStream.Value(ref r)) creation = ReadCreationInfo(doc.RootElement, path);
                    break;
                case "documentDescribes":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ReadDescribed(e, JsonPath.Item(path, i))))
                        _violations.Add(path, "must be an array");
                    break;
                case "packages":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ReadPackage(e, JsonPath.Item(path, i))))
                        _violations.Add(path, "must be an array");
                    break;
                case "files":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ReadFile(e, JsonPath.Item(path, i))))
                        _violations.Add(path, "must be an array");
                    break;
                case "relationships":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ReadRelationship(e, JsonPath.Item(path, i))))
                        _violations.Add(path, "must be an array");
                    break;
                case "snippets":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => { if (e.Str("SPDXID") is { } id) _fileIds.Add(id); }))
                        _violations.Add(path, "must be an array");
                    break;
                case "externalDocumentRefs":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => { if (e.Str("externalDocumentId") is { } id) _externalDocuments.Add(id); }))
                        _violations.Add(path, "must be an array");
                    break;
                default:
                    r.Skip();
                    break;
            }
        });
        if (_limitFinding is not null) return (null, _limitFinding);

        if (spdxVersion is null) _violations.Add(root, "required property 'spdxVersion' is missing");
        if (spdxId is null) _violations.Add(root, "required property 'SPDXID' is missing");
        else if (spdxId != "SPDXRef-DOCUMENT") _violations.Add(JsonPath.Prop(root, "SPDXID"), "must be \"SPDXRef-DOCUMENT\"");
        if (name is null) _violations.Add(root, "required property 'name' is missing");
        if (dataLicense is null) _violations.Add(root, "required property 'dataLicense' is missing");
        else if (dataLicense != "CC0-1.0") _violations.Add(JsonPath.Prop(root, "dataLicense"), "must be \"CC0-1.0\"");
        if (ns is null) _violations.Add(root, "required property 'documentNamespace' is missing (SPDX 2.3 §6.5: exactly one)");
        else if (!Uri.TryCreate(ns, UriKind.Absolute, out _) || ns.Contains('#', StringComparison.Ordinal))
            _violations.Add(JsonPath.Prop(root, "documentNamespace"), "must be an absolute URI without '#'");
        if (!sawCreation) _violations.Add(root, "required property 'creationInfo' is missing");

        var packageIds = _packages.Where(p => p.Id is not null).Select(p => p.Id!).ToHashSet(StringComparer.Ordinal);
        // Referential integrity (SPDX 2.3 §11.1): every element id in a relationship names the document, a package,
        // file or snippet of this document, NONE / NOASSERTION, or DocumentRef-x:… of a declared external document.
        foreach (var (id, path) in _references)
        {
            if (id is "SPDXRef-DOCUMENT" or "NONE" or "NOASSERTION" || packageIds.Contains(id) || _fileIds.Contains(id)) continue;
            var colon = id.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && _externalDocuments.Contains(id[..colon])) continue;
            _violations.Add(path, $"'{JsonElementExtensions.Short(id)}' is not an element of this document or a declared external document");
        }
        // NTIA "dependency relationship" for SPDX 2 (as spdx/ntia-conformance-checker reads it): the document says
        // what it describes, and that is a package rather than a file or snippet.
        var describesPackage = _roots.Any(id => packageIds.Contains(id) || (!_fileIds.Contains(id) && _packages.Count > 0));

        return (new SbomDocument
        {
            Format = SbomFormat.Spdx2,
            SpecVersion = spdxVersion ?? "SPDX-2",
            Identifier = ns,
            Name = name,
            Creation = creation,
            Components = _packages,
            Relationships = _relationships,
            Roots = _roots.Distinct(StringComparer.Ordinal).ToList(),
            HasDependencyRelationships = describesPackage,
        }, null);
    }

    private CreationInfo ReadCreationInfo(JsonElement c, string path)
    {
        if (!c.ExpectObject(path, _violations)) return new CreationInfo();
        var created = c.RequiredString("created", path, _violations);
        DateTimeOffset? parsed = null;
        if (created is not null)
        {
            if (Timestamps.TryParse(created, out var ts)) parsed = ts;
            else _violations.Add(JsonPath.Prop(path, "created"), $"'{JsonElementExtensions.Short(created)}' is not a date-time (YYYY-MM-DDThh:mm:ssZ)");
        }
        var authors = new List<string>();
        var tools = new List<Tool>();
        if (c.Prop("creators") is not { } creators) _violations.Add(path, "required property 'creators' is missing");
        else if (creators.ExpectArray(JsonPath.Prop(path, "creators"), _violations))
        {
            var i = 0;
            foreach (var creator in creators.EnumerateArray())
            {
                var itemPath = JsonPath.Item(JsonPath.Prop(path, "creators"), i++);
                if (creator.ValueKind != JsonValueKind.String) { _violations.Add(itemPath, "must be a string"); continue; }
                var text = creator.GetString()!;
                if (text.StartsWith("Tool:", StringComparison.Ordinal)) tools.Add(new Tool(text["Tool:".Length..].Trim()));
                else if (text.StartsWith("Person:", StringComparison.Ordinal) || text.StartsWith("Organization:", StringComparison.Ordinal)) authors.Add(text);
                else _violations.Add(itemPath, "must start with 'Tool:', 'Person:' or 'Organization:'");
            }
        }
        return new CreationInfo { Created = parsed, CreatedText = created, Authors = authors, Tools = tools };
    }

    private void ReadDescribed(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            _roots.Add(e.GetString()!);
            _references.Add((e.GetString()!, path));
        }
        else if (e.ValueKind == JsonValueKind.Object && e.Prop("Package") is { } legacyPackage)
        {
            // Pre-2.2 layout: {"Package": {...}} objects inside documentDescribes.
            if (ReadPackage(legacyPackage, JsonPath.Prop(path, "Package")) is { Id: { } id }) _roots.Add(id);
        }
        else _violations.Add(path, "must be an SPDX element id");
    }

    private Component? ReadPackage(JsonElement p, string path)
    {
        if (!p.ExpectObject(path, _violations)) return null;
        var id = p.RequiredString("SPDXID", path, _violations);
        if (id is not null && !SpdxIdPattern().IsMatch(id)) _violations.Add(JsonPath.Prop(path, "SPDXID"), "must match SPDXRef-[A-Za-z0-9.-]+");
        var name = p.RequiredString("name", path, _violations);
        p.RequiredString("downloadLocation", path, _violations);
        var version = p.OptionalString("versionInfo", path, _violations);
        var supplier = Party(p.OptionalString("supplier", path, _violations));

        var hashes = new List<ComponentHash>();
        var i = 0;
        foreach (var c in p.Items("checksums"))
        {
            var itemPath = JsonPath.Item(JsonPath.Prop(path, "checksums"), i++);
            if (!c.ExpectObject(itemPath, _violations)) continue;
            var alg = c.RequiredString("algorithm", itemPath, _violations);
            var value = c.RequiredString("checksumValue", itemPath, _violations);
            if (alg is not null && !ChecksumAlgorithms.Contains(alg))
                _violations.Add(JsonPath.Prop(itemPath, "algorithm"), $"'{JsonElementExtensions.Short(alg)}' is not an SPDX checksum algorithm");
            if (value is not null && !HashAlgorithms.IsHex(value))
                _violations.Add(JsonPath.Prop(itemPath, "checksumValue"), "must be hexadecimal");
            if (alg is not null && value is not null)
            {
                alg = alg.StartsWith("checksumAlgorithm_", StringComparison.Ordinal) ? alg["checksumAlgorithm_".Length..] : alg;
                hashes.Add(new ComponentHash(HashAlgorithms.Parse(alg), alg, value.ToLowerInvariant()));
            }
        }

        string? purl = null, cpe = null;
        i = 0;
        foreach (var r in p.Items("externalRefs"))
        {
            var itemPath = JsonPath.Item(JsonPath.Prop(path, "externalRefs"), i++);
            if (!r.ExpectObject(itemPath, _violations)) continue;
            if (r.RequiredString("referenceCategory", itemPath, _violations) is { } category && !ReferenceCategories.Contains(category))
                _violations.Add(JsonPath.Prop(itemPath, "referenceCategory"), $"'{JsonElementExtensions.Short(category)}' is not an external reference category");
            var type = r.RequiredString("referenceType", itemPath, _violations);
            var locator = r.RequiredString("referenceLocator", itemPath, _violations);
            if (type == "purl" && locator is not null && !PackageUrls.PackageUrl.TryParse(locator, out _, out var purlError, _limits.MaxPackageUrlLength))
                _violations.Add(JsonPath.Prop(itemPath, "referenceLocator"), $"is not a package URL: {purlError}");
            if (type == "purl") purl ??= locator;
            else if (type is "cpe23Type" or "cpe22Type") cpe ??= locator;
        }

        var licenses = new List<ComponentLicense>();
        AddLicense(p, "licenseConcluded", path, LicenseAcknowledgement.Concluded, licenses);
        AddLicense(p, "licenseDeclared", path, LicenseAcknowledgement.Declared, licenses);

        var component = new Component
        {
            Id = id,
            Name = name ?? "",
            Version = version is "NOASSERTION" ? null : version,
            Supplier = supplier,
            Purl = purl,
            Cpe = cpe,
            Type = p.Str("primaryPackagePurpose"),
            Hashes = hashes,
            Licenses = licenses,
        };
        if (_packages.Count >= _limits.MaxComponents)
        {
            _limitFinding ??= new Finding(SbomCodes.InputTooManyElements, $"The document has more than {_limits.MaxComponents} packages.");
            return component;
        }
        _packages.Add(component);
        return component;
    }

    private void ReadFile(JsonElement f, string path)
    {
        if (!f.ExpectObject(path, _violations)) return;
        if (f.RequiredString("SPDXID", path, _violations) is { } id) _fileIds.Add(id);
        f.RequiredString("fileName", path, _violations);
        if (_fileIds.Count > _limits.MaxComponents)
            _limitFinding ??= new Finding(SbomCodes.InputTooManyElements, $"The document has more than {_limits.MaxComponents} files.");
    }

    private void ReadRelationship(JsonElement r, string path)
    {
        if (!r.ExpectObject(path, _violations)) return;
        var from = r.RequiredString("spdxElementId", path, _violations);
        var to = r.RequiredString("relatedSpdxElement", path, _violations);
        var type = r.RequiredString("relationshipType", path, _violations);
        if (from is not null) _references.Add((from, JsonPath.Prop(path, "spdxElementId")));
        if (to is not null) _references.Add((to, JsonPath.Prop(path, "relatedSpdxElement")));
        if (from is null || to is null || type is null) return;
        if (_relationships.Count >= _limits.MaxRelationships)
        {
            _limitFinding ??= new Finding(SbomCodes.InputTooManyElements, $"The document has more than {_limits.MaxRelationships} relationships.");
            return;
        }
        var relationship = type switch
        {
            "DEPENDS_ON" => new Relationship(from, to, RelationshipKind.DependsOn, type),
            "DEPENDENCY_OF" or "DEV_DEPENDENCY_OF" or "BUILD_DEPENDENCY_OF" or "RUNTIME_DEPENDENCY_OF" or "OPTIONAL_DEPENDENCY_OF"
                or "PROVIDED_DEPENDENCY_OF" or "TEST_DEPENDENCY_OF" => new Relationship(to, from, RelationshipKind.DependsOn, type),
            "CONTAINS" => new Relationship(from, to, RelationshipKind.Contains, type),
            "CONTAINED_BY" => new Relationship(to, from, RelationshipKind.Contains, type),
            "DESCRIBES" => new Relationship(from, to, RelationshipKind.Describes, type),
            "DESCRIBED_BY" => new Relationship(to, from, RelationshipKind.Describes, type),
            _ => new Relationship(from, to, RelationshipKind.Other, type),
        };
        _relationships.Add(relationship);
        if (relationship.Kind == RelationshipKind.Describes && relationship.From == "SPDXRef-DOCUMENT") _roots.Add(relationship.To);
    }

    private void AddLicense(JsonElement p, string property, string path, LicenseAcknowledgement ack, List<ComponentLicense> licenses)
    {
        var text = p.OptionalString(property, path, _violations);
        if (text is null or "NOASSERTION" or "NONE" || text.Trim().Length == 0) return;
        licenses.Add(new ComponentLicense(text, LicenseExpression.TryParse(text, out var parsed, out _, _limits) ? parsed : null, ack));
    }

    /// <summary>SPDX 2 party: <c>Organization: Name (email)</c> / <c>Person: …</c>; <c>NOASSERTION</c> or blank is null.</summary>
    internal static string? Party(string? text)
    {
        if (text is null) return null;
        var t = text.Trim();
        foreach (var prefix in new[] { "Organization:", "Person:", "Tool:" })
            if (t.StartsWith(prefix, StringComparison.Ordinal)) t = t[prefix.Length..].Trim();
        return t.Length == 0 || t == "NOASSERTION" ? null : t;
    }
}
