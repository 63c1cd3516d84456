using System.Text.Json;
using Attest.Core;
using Attest.Sbom.Json;
using Attest.Sbom.Licensing;
using Attest.Sbom.Model;

namespace Attest.Sbom.Reading;

/// <summary>
/// SPDX 3.0 JSON-LD in the flat form (<c>{"@context": …, "@graph": [ … ]}</c>): the graph is streamed element by
/// element into an index (id → element summary), then resolved: packages (<c>software_Package</c>,
/// <c>dataset_DatasetPackage</c>, <c>ai_AIPackage</c>) become components, licences are the
/// <c>simplelicensing_LicenseExpression</c> elements reached by <c>hasDeclaredLicense</c> /
/// <c>hasConcludedLicense</c> relationships, suppliers are the agents <c>suppliedBy</c> points to.
/// </summary>
internal sealed class Spdx3Reader
{
    private sealed record PackageNode(string? Id, string Name, string? Version, string? SuppliedBy, string? Purl, string? Cpe, List<ComponentHash> Hashes, string Type);

    private readonly SbomLimits _limits;
    private readonly Violations _violations;
    private readonly Dictionary<string, JsonElement> _creationInfos = new(StringComparer.Ordinal);
    private readonly List<JsonDocument> _keep = [];
    private readonly Dictionary<string, string> _agentNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _licenseExpressions = new(StringComparer.Ordinal);
    private readonly List<PackageNode> _packages = [];
    private readonly List<Relationship> _relationships = [];
    private readonly List<string> _withoutId = [];
    private readonly List<string> _sbomRoots = [];
    private readonly List<string> _documentRoots = [];
    private string? _documentId, _documentName, _documentCreationInfo, _firstCreationInfo;
    private int _elements;
    private Finding? _limitFinding;

    private Spdx3Reader(SbomLimits limits, Violations violations)
    {
        _limits = limits;
        _violations = violations;
    }

    public static (SbomDocument? Document, Finding? Unusable) Read(ReadOnlyMemory<byte> json, SbomLimits limits, Violations violations)
    {
        var reader = new Spdx3Reader(limits, violations);
        try
        {
            return reader.ReadDocument(json.Span);
        }
        finally
        {
            foreach (var d in reader._keep) d.Dispose();
        }
    }

    private (SbomDocument?, Finding?) ReadDocument(ReadOnlySpan<byte> json)
    {
        var sawContext = false;
        var sawGraph = false;
        JsonStream.ForEachTopLevelProperty(json, _limits, (string property, ref Utf8JsonReader r) =>
        {
            switch (property)
            {
                case "@context": sawContext = true; r.Skip(); break;
                case "@graph":
                    sawGraph = true;
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ReadElement(e, JsonPath.Item("$['@graph']", i))))
                        _violations.Add("$['@graph']", "must be an array");
                    break;
                default: r.Skip(); break;
            }
        });
        if (_limitFinding is not null) return (null, _limitFinding);
        if (!sawContext) _violations.Add("$", "required property '@context' is missing");
        if (!sawGraph) _violations.Add("$", "required property '@graph' is missing");

        var ciKey = _documentCreationInfo ?? _firstCreationInfo;
        var creation = ciKey is not null && _creationInfos.TryGetValue(ciKey, out var ci) ? MapCreationInfo(ci) : new CreationInfo();
        var specVersion = ciKey is not null && _creationInfos.TryGetValue(ciKey, out var ci2) ? ci2.Str("specVersion") : null;

        var licensesByElement = new Dictionary<string, List<ComponentLicense>>(StringComparer.Ordinal);
        foreach (var rel in _relationships)
        {
            var ack = rel.Type switch
            {
                "hasDeclaredLicense" => LicenseAcknowledgement.Declared,
                "hasConcludedLicense" => LicenseAcknowledgement.Concluded,
                _ => (LicenseAcknowledgement?)null,
            };
            if (ack is null || LicenseText(rel.To) is not { } text || text is "NOASSERTION" or "NONE") continue;
            if (!licensesByElement.TryGetValue(rel.From, out var list)) licensesByElement[rel.From] = list = [];
            list.Add(new ComponentLicense(text, LicenseExpression.TryParse(text, out var parsed, out _, _limits) ? parsed : null, ack.Value));
        }

        var components = _packages.Select(p => new Component
        {
            Id = p.Id,
            Name = p.Name,
            Version = p.Version,
            Supplier = p.SuppliedBy is null ? null : _agentNames.GetValueOrDefault(p.SuppliedBy, p.SuppliedBy),
            Purl = p.Purl,
            Cpe = p.Cpe,
            Type = p.Type,
            Hashes = p.Hashes,
            Licenses = p.Id is not null && licensesByElement.TryGetValue(p.Id, out var l) ? l : [],
        }).ToList();
        var packageIds = components.Where(c => c.Id is not null).Select(c => c.Id!).ToHashSet(StringComparer.Ordinal);

        return (new SbomDocument
        {
            Format = SbomFormat.Spdx3,
            SpecVersion = specVersion ?? "3",
            Identifier = _documentId,
            Name = _documentName,
            Creation = creation,
            Components = components,
            Relationships = _relationships.Where(r => r.Kind != RelationshipKind.Other).ToList(),
            // What the document describes: software_Sbom roots, SpdxDocument roots, and "describes" relationships
            // from the document.
            Roots = _sbomRoots.Concat(_documentRoots)
                .Concat(_relationships.Where(r => r.Kind == RelationshipKind.Describes && r.From == _documentId).Select(r => r.To))
                .Distinct(StringComparer.Ordinal).ToList(),
            ElementsWithoutIdentifier = _withoutId,
            // NTIA for SPDX 3 (spdx/ntia-conformance-checker): a software_Sbom whose rootElement lists a package.
            HasDependencyRelationships = _sbomRoots.Any(packageIds.Contains),
        }, null);
    }

    private string? LicenseText(string id)
    {
        if (_licenseExpressions.TryGetValue(id, out var text)) return text;
        const string listed = "https://spdx.org/licenses/";
        return id.StartsWith(listed, StringComparison.Ordinal) ? id[listed.Length..] : null;
    }

    private void ReadElement(JsonElement e, string path)
    {
        if (++_elements > _limits.MaxComponents)
        {
            _limitFinding ??= new Finding(SbomCodes.InputTooManyElements, $"The graph has more than {_limits.MaxComponents} elements.");
            return;
        }
        if (!e.ExpectObject(path, _violations)) return;
        var type = e.Str("type") ?? e.Str("@type");
        if (type is null)
        {
            _violations.Add(path, "required property 'type' is missing");
            return;
        }
        var id = e.Str("spdxId") ?? e.Str("@id");
        if (type == "CreationInfo")
        {
            if (id is null) { _violations.Add(path, "a CreationInfo needs an '@id' to be referenced"); return; }
            var doc = JsonDocument.Parse(e.GetRawText());
            _keep.Add(doc);
            _creationInfos[id] = doc.RootElement;
            _firstCreationInfo ??= id;
            e.RequiredString("created", path, _violations);
            e.RequiredString("specVersion", path, _violations);
            if (e.Prop("createdBy") is null) _violations.Add(path, "required property 'createdBy' is missing");
            return;
        }
        if (id is null)
        {
            _violations.Add(path, $"required property 'spdxId' is missing on {type}");
            if (type.StartsWith("software_", StringComparison.Ordinal) || type.EndsWith("Package", StringComparison.Ordinal))
                _withoutId.Add(e.Str("name") ?? type);
        }
        if (e.Prop("creationInfo") is { } inlineCi && inlineCi.ValueKind == JsonValueKind.Object && inlineCi.Str("@id") is { } inlineId && !_creationInfos.ContainsKey(inlineId))
        {
            var doc = JsonDocument.Parse(inlineCi.GetRawText());
            _keep.Add(doc);
            _creationInfos[inlineId] = doc.RootElement;
            _firstCreationInfo ??= inlineId;
        }

        switch (type)
        {
            case "Person" or "Organization" or "SoftwareAgent" or "Agent":
                if (id is not null && e.Str("name") is { } agent) _agentNames[id] = agent;
                break;
            case "Tool":
                if (id is not null && e.Str("name") is { } tool) _toolNames[id] = tool;
                break;
            case "simplelicensing_LicenseExpression":
                if (id is not null && e.Str("simplelicensing_licenseExpression") is { } expr) _licenseExpressions[id] = expr;
                break;
            case "expandedlicensing_ListedLicense" or "expandedlicensing_CustomLicense":
                if (id is not null && e.Str("name") is { } licenseName) _licenseExpressions.TryAdd(id, id.StartsWith("https://spdx.org/licenses/", StringComparison.Ordinal) ? id["https://spdx.org/licenses/".Length..] : licenseName);
                break;
            case "SpdxDocument":
                _documentId ??= id;
                _documentName ??= e.Str("name");
                _documentCreationInfo ??= e.Str("creationInfo");
                foreach (var root in e.Items("rootElement"))
                    if (root.ValueKind == JsonValueKind.String) _documentRoots.Add(root.GetString()!);
                break;
            case "software_Sbom":
                foreach (var root in e.Items("rootElement"))
                    if (root.ValueKind == JsonValueKind.String) _sbomRoots.Add(root.GetString()!);
                break;
            case "Relationship" or "LifecycleScopedRelationship":
                ReadRelationship(e, path);
                break;
            default:
                if (type.EndsWith("Package", StringComparison.Ordinal)) ReadPackage(e, id, type, path);
                break;
        }
    }

    private void ReadPackage(JsonElement e, string? id, string type, string path)
    {
        string? purl = e.OptionalString("software_packageUrl", path, _violations), cpe = null;
        foreach (var x in e.Items("externalIdentifier"))
        {
            var kind = x.Str("externalIdentifierType");
            if (kind == "packageUrl") purl ??= x.Str("identifier");
            else if (kind is "cpe23" or "cpe22") cpe ??= x.Str("identifier");
        }
        var hashes = new List<ComponentHash>();
        foreach (var h in e.Items("verifiedUsing"))
            if (h.Str("type") == "Hash" && h.Str("algorithm") is { } alg && h.Str("hashValue") is { } value)
                hashes.Add(new ComponentHash(HashAlgorithms.Parse(alg), alg, value.ToLowerInvariant()));
        var supplier = e.Prop("suppliedBy") switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString(),
            { ValueKind: JsonValueKind.Object } o => o.Str("name") ?? o.Str("spdxId"),
            _ => null,
        };
        _packages.Add(new PackageNode(id, e.Str("name") ?? "", e.Str("software_packageVersion"), supplier, purl, cpe, hashes, type));
    }

    private void ReadRelationship(JsonElement e, string path)
    {
        var from = e.RequiredString("from", path, _violations);
        var type = e.RequiredString("relationshipType", path, _violations);
        if (e.Prop("to") is not { } to) { _violations.Add(path, "required property 'to' is missing"); return; }
        if (from is null || type is null || !to.ExpectArray(JsonPath.Prop(path, "to"), _violations)) return;
        foreach (var target in to.EnumerateArray())
        {
            if (target.ValueKind != JsonValueKind.String) continue;
            if (_relationships.Count >= _limits.MaxRelationships)
            {
                _limitFinding ??= new Finding(SbomCodes.InputTooManyElements, $"The graph has more than {_limits.MaxRelationships} relationships.");
                return;
            }
            var kind = type switch
            {
                "dependsOn" => RelationshipKind.DependsOn,
                "contains" => RelationshipKind.Contains,
                "describes" => RelationshipKind.Describes,
                _ => RelationshipKind.Other,
            };
            _relationships.Add(new Relationship(from, target.GetString()!, kind, type));
        }
    }

    private CreationInfo MapCreationInfo(JsonElement ci)
    {
        var createdText = ci.Str("created");
        var authors = ci.Items("createdBy").Where(a => a.ValueKind == JsonValueKind.String)
            .Select(a => _agentNames.GetValueOrDefault(a.GetString()!, a.GetString()!)).ToList();
        var tools = ci.Items("createdUsing").Where(a => a.ValueKind == JsonValueKind.String)
            .Select(a => new Tool(_toolNames.GetValueOrDefault(a.GetString()!, a.GetString()!))).ToList();
        return new CreationInfo
        {
            Created = Timestamps.TryParse(createdText, out var ts) ? ts : null,
            CreatedText = createdText,
            Authors = authors,
            Tools = tools,
        };
    }
}
