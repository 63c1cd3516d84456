using System.Collections.Frozen;
using System.Text.Json;
using Attest.Core;
using System.Text.RegularExpressions;
using Attest.Sbom.Json;
using Attest.Sbom.Licensing;
using Attest.Sbom.Model;

namespace Attest.Sbom.Reading;

/// <summary>
/// CycloneDX 1.2–1.7 JSON. The top level is streamed; each component, dependency and service is materialised
/// one at a time. Structural rules are those of <c>bom-1.x.schema.json</c> (CycloneDX/specification) that decide
/// validity in practice: required properties, enumerations per version, <c>bom-ref</c> and hash patterns, the
/// licence choice (<c>license</c> with exactly one of id/name, or a single <c>expression</c>; never mixed since
/// 1.6), SPDX licence ids, RFC 3339 timestamps, the serial-number URN, and unknown top-level properties.
/// </summary>
internal sealed partial class CycloneDxReader
{
    private static readonly FrozenSet<string> Types14 = Set("application", "framework", "library", "container", "operating-system", "device", "firmware", "file");
    private static readonly FrozenSet<string> Types15 = Set([.. Types14, "platform", "device-driver", "machine-learning-model", "data"]);
    private static readonly FrozenSet<string> Types16 = Set([.. Types15, "cryptographic-asset"]);
    private static readonly FrozenSet<string> TopLevel14 = Set("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata", "components", "services", "externalReferences", "dependencies", "compositions", "vulnerabilities", "signature");
    private static readonly FrozenSet<string> TopLevel15 = Set([.. TopLevel14, "annotations", "formulation", "properties"]);
    private static readonly FrozenSet<string> TopLevel16 = Set([.. TopLevel15, "declarations", "definitions"]);
    private static readonly FrozenSet<string> HashAlgs = Set("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384", "SHA3-512", "BLAKE2b-256", "BLAKE2b-384", "BLAKE2b-512", "BLAKE3");
    private static readonly FrozenSet<string> Scopes = Set("required", "optional", "excluded");
    private static readonly FrozenSet<string> PatchTypes = Set("unofficial", "monkey", "backport", "cherry-pick");
    private static readonly FrozenSet<string> IssueTypes = Set("defect", "enhancement", "security");
    private static readonly FrozenSet<string> DataFlows = Set("inbound", "outbound", "bi-directional", "unknown");
    private static readonly FrozenSet<string> Encodings = Set("base64");
    private static readonly FrozenSet<string> Acknowledgements = Set("declared", "concluded");
    private static readonly FrozenSet<string> PropertyKeys = Set("name", "value");
    private static readonly FrozenSet<string> SupportedVersions = Set("1.2", "1.3", "1.4", "1.5", "1.6", "1.7");

    // bom-1.x.schema.json "serialNumber": RFC 4122 UUID URN (or the braced form).
    [GeneratedRegex("^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\\z|^\\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}\\}\\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SerialNumberPattern();

    private readonly SbomLimits _limits;
    private readonly Violations _violations;
    private readonly string _version;
    private readonly int _minor;
    private readonly List<Component> _components = [];
    private readonly List<Relationship> _relationships = [];
    private readonly HashSet<string> _bomRefs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly List<(string Ref, int Dependency, string? List, int Item)> _refUses = [];
    private readonly Dictionary<(string, LicenseAcknowledgement), ComponentLicense> _listedLicenses = [];
    private Finding? _limitFinding;

    private CycloneDxReader(SbomLimits limits, Violations violations, string version)
    {
        _limits = limits;
        _violations = violations;
        _version = version;
        _minor = version.StartsWith("1.", StringComparison.Ordinal) && int.TryParse(version.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture, out var m) ? m : 6;
    }

    public static bool IsSupportedVersion(string version) => SupportedVersions.Contains(version);

    public static (SbomDocument? Document, Finding? Unusable) Read(ReadOnlyMemory<byte> json, string specVersion, SbomLimits limits, Violations violations)
    {
        var reader = new CycloneDxReader(limits, violations, specVersion);
        return reader.ReadDocument(json.Span);
    }

    private (SbomDocument?, Finding?) ReadDocument(ReadOnlySpan<byte> json)
    {
        string? bomFormat = null, serial = null;
        int? bomVersion = null;
        var creation = new CreationInfo();
        Component? subject = null;
        var hasDependencies = false;
        var topLevel = _minor switch { <= 4 => TopLevel14, 5 => TopLevel15, 6 => TopLevel16, _ => null };

        JsonStream.ForEachTopLevelProperty(json, _limits, (string property, ref Utf8JsonReader r) =>
        {
            switch (property)
            {
                case "bomFormat":
                    bomFormat = JsonStream.StringValue(ref r);
                    break;
                case "serialNumber":
                    serial = JsonStream.StringValue(ref r);
                    if (serial is null) _violations.Add("$.serialNumber", "must be a string");
                    else if (!SerialNumberPattern().IsMatch(serial)) _violations.Add("$.serialNumber", $"'{JsonElementExtensions.Short(serial)}' is not a urn:uuid serial number");
                    break;
                case "version":
                    if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var v) && v >= 1) bomVersion = v;
                    else _violations.Add("$.version", "must be an integer of at least 1");
                    r.Skip();
                    break;
                case "metadata":
                    using (var doc = JsonStream.Value(ref r))
                        (creation, subject) = ReadMetadata(doc.RootElement, "$.metadata");
                    break;
                case "components":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ReadComponent(e, JsonPath.Item("$.components", i), parentDepth: 0)))
                        _violations.Add("$.components", "must be an array");
                    break;
                case "dependencies":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => hasDependencies |= ReadDependency(e, i)))
                        _violations.Add("$.dependencies", "must be an array");
                    break;
                case "services":
                    if (!JsonStream.ForEachItem(ref r, (e, i) => ValidateService(e, JsonPath.Item("$.services", i))))
                        _violations.Add("$.services", "must be an array");
                    break;
                case "properties":
                    using (var doc = JsonStream.Value(ref r))
                        ValidateProperties(doc.RootElement, "$.properties");
                    break;
                case "externalReferences":
                    using (var doc = JsonStream.Value(ref r))
                        ValidateExternalReferences(doc.RootElement, "$.externalReferences");
                    break;
                default:
                    if (topLevel is not null && !topLevel.Contains(property))
                        _violations.Add(JsonPath.Prop("$", property), $"property is not allowed at the top level of a CycloneDX {_version} BOM");
                    r.Skip();
                    break;
            }
        });

        if (_limitFinding is not null) return (null, _limitFinding);
        // refLinkType: a dependency names elements by the bom-ref of a component or service in the same BOM.
        foreach (var (reference, dependency, list, item) in _refUses)
            if (!_bomRefs.Contains(reference))
                _violations.Add(list is null ? JsonPath.Prop(JsonPath.Item("$.dependencies", dependency), "ref") : JsonPath.Item(JsonPath.Prop(JsonPath.Item("$.dependencies", dependency), list), item),
                    $"'{JsonElementExtensions.Short(reference)}' is not the bom-ref of any component or service in the BOM");
        if (bomFormat is null) _violations.Add("$", "required property 'bomFormat' is missing");
        else if (bomFormat != "CycloneDX") _violations.Add("$.bomFormat", $"must be \"CycloneDX\", found \"{JsonElementExtensions.Short(bomFormat)}\"");

        var roots = subject?.Id is { } rootRef ? new[] { rootRef } : [];
        return (new SbomDocument
        {
            Format = SbomFormat.CycloneDx,
            SpecVersion = _version,
            Identifier = serial,
            BomVersion = bomVersion,
            Name = subject?.Name,
            Creation = creation,
            Components = _components,
            Relationships = _relationships,
            Roots = roots,
            Subject = subject,
            HasDependencyRelationships = hasDependencies,
        }, null);
    }

    private (CreationInfo, Component?) ReadMetadata(JsonElement m, string path)
    {
        if (!m.ExpectObject(path, _violations)) return (new CreationInfo(), null);
        var timestampText = m.OptionalString("timestamp", path, _violations);
        DateTimeOffset? created = null;
        if (timestampText is not null)
        {
            if (Timestamps.TryParse(timestampText, out var ts)) created = ts;
            else _violations.Add(JsonPath.Prop(path, "timestamp"), $"'{JsonElementExtensions.Short(timestampText)}' is not an RFC 3339 date-time");
        }

        var tools = new List<Tool>();
        if (m.Prop("tools") is { } t)
        {
            var toolsPath = JsonPath.Prop(path, "tools");
            if (t.ValueKind == JsonValueKind.Array)
            {
                foreach (var (tool, i) in t.EnumerateArray().Select((x, i) => (x, i)))
                    if (tool.ExpectObject(JsonPath.Item(toolsPath, i), _violations) && tool.Str("name") is { } n)
                        tools.Add(new Tool(n, tool.Str("version"), tool.Str("vendor")));
            }
            else if (t.ValueKind == JsonValueKind.Object && _minor >= 5)
            {
                foreach (var kind in new[] { "components", "services" })
                    foreach (var (tool, i) in t.Items(kind).Select((x, i) => (x, i)))
                    {
                        var toolPath = JsonPath.Item(JsonPath.Prop(toolsPath, kind), i);
                        if (!tool.ExpectObject(toolPath, _violations)) continue;
                        var n = tool.RequiredString("name", toolPath, _violations);
                        if (n is not null)
                            tools.Add(new Tool(n, tool.Str("version"), tool.Prop("supplier")?.Str("name") ?? tool.Str("group") ?? tool.Str("publisher")));
                    }
            }
            else
            {
                _violations.Add(toolsPath, _minor >= 5 ? "must be an object with components/services or a legacy array" : "must be an array");
            }
        }

        var authors = new List<string>();
        foreach (var (a, i) in m.Items("authors").Select((x, i) => (x, i)))
        {
            if (!a.ExpectObject(JsonPath.Item(JsonPath.Prop(path, "authors"), i), _violations)) continue;
            if ((a.Str("name") ?? a.Str("email")) is { Length: > 0 } n) authors.Add(n);
        }
        if (m.Prop("licenses") is { } lic) ReadLicenses(lic, JsonPath.Prop(path, "licenses"));
        if (m.Prop("properties") is { } props) ValidateProperties(props, JsonPath.Prop(path, "properties"));

        Component? subject = null;
        if (m.Prop("component") is { } c)
            subject = MapComponent(c, JsonPath.Prop(path, "component"), addToList: false, parentDepth: 0);

        return (new CreationInfo { Created = created, CreatedText = timestampText, Authors = authors, Tools = tools }, subject);
    }

    private void ReadComponent(JsonElement c, string path, int parentDepth) => MapComponent(c, path, addToList: true, parentDepth);

    private Component? MapComponent(JsonElement c, string path, bool addToList, int parentDepth)
    {
        if (!c.ExpectObject(path, _violations)) return null;
        // One pass over the properties (JsonElement.TryGetProperty is a linear scan; this is the hot path for large BOMs).
        JsonElement? typeEl = null, nameEl = null, bomRefEl = null, versionEl = null, scopeEl = null, purlEl = null, cpeEl = null, groupEl = null,
            publisherEl = null, supplierEl = null, manufacturerEl = null, swidEl = null, hashesEl = null, licensesEl = null, propertiesEl = null,
            refsEl = null, pedigreeEl = null, nestedEl = null;
        foreach (var p in c.EnumerateObject())
        {
            switch (p.Name)
            {
                case "type": typeEl = p.Value; break;
                case "name": nameEl = p.Value; break;
                case "bom-ref": bomRefEl = p.Value; break;
                case "version": versionEl = p.Value; break;
                case "scope": scopeEl = p.Value; break;
                case "purl": purlEl = p.Value; break;
                case "cpe": cpeEl = p.Value; break;
                case "group": groupEl = p.Value; break;
                case "publisher": publisherEl = p.Value; break;
                case "supplier": supplierEl = p.Value; break;
                case "manufacturer": manufacturerEl = p.Value; break;
                case "swid": swidEl = p.Value; break;
                case "hashes": hashesEl = p.Value; break;
                case "licenses": licensesEl = p.Value; break;
                case "properties": propertiesEl = p.Value; break;
                case "externalReferences": refsEl = p.Value; break;
                case "pedigree": pedigreeEl = p.Value; break;
                case "components": nestedEl = p.Value; break;
            }
        }
        var types = _minor switch { <= 4 => Types14, 5 => Types15, _ => Types16 };
        var type = AsString(typeEl, path, "type", required: true);
        if (type is not null && !types.Contains(type))
            _violations.Add(JsonPath.Prop(path, "type"), $"'{JsonElementExtensions.Short(type)}' is not a CycloneDX {_version} component type");
        var name = AsString(nameEl, path, "name", required: true);
        var bomRef = AsString(bomRefEl, path, "bom-ref", minLength: 1);
        if (bomRef is { Length: > 0 } && !_bomRefs.Add(bomRef))
            _violations.Add(JsonPath.Prop(path, "bom-ref"), $"bom-ref '{JsonElementExtensions.Short(bomRef)}' is not unique in the BOM");
        var version = AsString(versionEl, path, "version");
        if (AsString(scopeEl, path, "scope") is { } scope && !Scopes.Contains(scope))
            _violations.Add(JsonPath.Prop(path, "scope"), $"'{JsonElementExtensions.Short(scope)}' is not one of the allowed values");
        var purl = AsString(purlEl, path, "purl");
        var cpe = AsString(cpeEl, path, "cpe");
        var group = AsString(groupEl, path, "group");
        var publisher = AsString(publisherEl, path, "publisher");
        string? supplier = null;
        if (supplierEl is { } s && s.ExpectObject(JsonPath.Prop(path, "supplier"), _violations)) supplier = s.Str("name");
        if (supplier is null && manufacturerEl is { ValueKind: JsonValueKind.Object } mf) supplier = mf.Str("name");
        supplier ??= publisher;

        string? swidTagId = null;
        if (swidEl is { } swid && swid.ExpectObject(JsonPath.Prop(path, "swid"), _violations))
        {
            swidTagId = swid.RequiredString("tagId", JsonPath.Prop(path, "swid"), _violations);
            swid.RequiredString("name", JsonPath.Prop(path, "swid"), _violations);
            if (swid.Prop("text") is { } text) ValidateAttachment(text, JsonPath.Prop(JsonPath.Prop(path, "swid"), "text"));
        }

        var hashes = new List<ComponentHash>();
        if (hashesEl is { } hashList)
        {
            if (hashList.ValueKind != JsonValueKind.Array) _violations.Add(JsonPath.Prop(path, "hashes"), $"must be an array, found {hashList.Kind()}");
            else
            {
                var i = 0;
                foreach (var h in hashList.EnumerateArray())
                    if (ReadHash(h, path, "hashes", i++) is { } hash) hashes.Add(hash);
            }
        }

        var licenses = licensesEl is { } l ? ReadLicenses(l, JsonPath.Prop(path, "licenses")) : [];
        if (propertiesEl is { } props) ValidateProperties(props, JsonPath.Prop(path, "properties"));
        if (refsEl is { } refs) ValidateExternalReferences(refs, JsonPath.Prop(path, "externalReferences"));
        if (pedigreeEl is { } pedigree) ValidatePedigree(pedigree, JsonPath.Prop(path, "pedigree"), parentDepth);

        var component = new Component
        {
            Id = bomRef is { Length: > 0 } ? bomRef : null,
            Group = group,
            Name = name ?? "",
            Version = Intern(version),
            Supplier = string.IsNullOrWhiteSpace(supplier) ? null : Intern(supplier),
            Purl = purl,
            Cpe = cpe,
            SwidTagId = swidTagId,
            Type = Intern(type),
            Hashes = hashes.Count == 0 ? [] : hashes.ToArray(),
            Licenses = licenses.Count == 0 ? [] : licenses.ToArray(),
        };
        if (addToList)
        {
            if (_components.Count >= _limits.MaxComponents)
            {
                _limitFinding ??= new Finding(SbomCodes.InputTooManyElements,
                    $"The BOM has more than {_limits.MaxComponents} components.",
                    new Dictionary<string, string> { ["limit"] = _limits.MaxComponents.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                return component;
            }
            _components.Add(component);
        }

        if (nestedEl is { } nested && nested.ExpectArray(JsonPath.Prop(path, "components"), _violations))
            foreach (var (n, i) in nested.EnumerateArray().Select((x, i) => (x, i)))
                MapComponent(n, JsonPath.Item(JsonPath.Prop(path, "components"), i), addToList: true, parentDepth + 1);
        return component;
    }

    /// <summary>An optional string property already looked up; violations when it has another type or is too short.</summary>
    private string? AsString(JsonElement? value, string path, string name, bool required = false, int minLength = 0)
    {
        if (value is not { } v)
        {
            if (required) _violations.Add(path, $"required property '{name}' is missing");
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            _violations.Add(JsonPath.Prop(path, name), $"must be a string, found {v.Kind()}");
            return null;
        }
        var text = v.GetString()!;
        if (text.Length < minLength) _violations.Add(JsonPath.Prop(path, name), $"must be at least {minLength} character(s) long");
        return text;
    }

    private ComponentHash? ReadHash(JsonElement h, string parentPath, string list, int index)
    {
        if (h.ValueKind != JsonValueKind.Object || !h.TryGetProperty("alg", out var algEl) || !h.TryGetProperty("content", out var contentEl)
            || algEl.ValueKind != JsonValueKind.String || contentEl.ValueKind != JsonValueKind.String)
            return ReadHashSlow(h, JsonPath.Item(JsonPath.Prop(parentPath, list), index));
        var alg = algEl.GetString()!;
        var content = contentEl.GetString()!;
        if (!HashAlgs.Contains(alg) || content.Length is not (32 or 40 or 64 or 96 or 128) || !HashAlgorithms.IsHex(content))
            return ReadHashSlow(h, JsonPath.Item(JsonPath.Prop(parentPath, list), index));
        return new ComponentHash(HashAlgorithms.Parse(alg), HashAlgs.TryGetValue(alg, out var shared) ? shared : alg, content.ToLowerInvariant());
    }

    private ComponentHash? ReadHashSlow(JsonElement h, string path)
    {
        if (!h.ExpectObject(path, _violations)) return null;
        var alg = h.RequiredString("alg", path, _violations);
        var content = h.RequiredString("content", path, _violations);
        if (alg is not null && !HashAlgs.Contains(alg))
            _violations.Add(JsonPath.Prop(path, "alg"), $"'{JsonElementExtensions.Short(alg)}' is not a CycloneDX hash algorithm");
        // bom schema "hash-content": hex of length 32, 40, 64, 96 or 128.
        if (content is not null && (content.Length is not (32 or 40 or 64 or 96 or 128) || !HashAlgorithms.IsHex(content)))
            _violations.Add(JsonPath.Prop(path, "content"), "must be 32, 40, 64, 96 or 128 hexadecimal characters");
        return alg is null || content is null ? null : new ComponentHash(HashAlgorithms.Parse(alg), alg, content.ToLowerInvariant());
    }

    /// <summary>licenseChoice: before 1.6 each item is {license} or {expression}; since 1.6 the array holds either
    /// license objects only or exactly one expression.</summary>
    private List<ComponentLicense> ReadLicenses(JsonElement l, string path)
    {
        var result = new List<ComponentLicense>();
        if (!l.ExpectArray(path, _violations)) return result;
        int licenseItems = 0, expressionItems = 0, index = 0;
        foreach (var item in l.EnumerateArray())
        {
            var itemPath = JsonPath.Item(path, index++);
            if (!item.ExpectObject(itemPath, _violations)) continue;
            var hasLicense = item.TryGetProperty("license", out var license);
            var hasExpression = item.TryGetProperty("expression", out var expression);
            if (hasLicense == hasExpression)
            {
                _violations.Add(itemPath, hasLicense ? "must hold either 'license' or 'expression', not both" : "must hold 'license' or 'expression'");
                continue;
            }
            if (hasLicense)
            {
                licenseItems++;
                if (ReadLicense(license, JsonPath.Prop(itemPath, "license")) is { } cl) result.Add(cl);
            }
            else
            {
                expressionItems++;
                var exprPath = JsonPath.Prop(itemPath, "expression");
                if (expression.ValueKind != JsonValueKind.String)
                {
                    _violations.Add(exprPath, "must be a string");
                    continue;
                }
                var ack = ReadAcknowledgement(item, itemPath);
                var text = expression.GetString()!;
                if (text is "NOASSERTION" or "NONE") continue;
                result.Add(new ComponentLicense(text, LicenseExpression.TryParse(text, out var parsed, out _, _limits) ? parsed : null, ack));
            }
        }
        if (_minor >= 6 && expressionItems > 0 && (licenseItems > 0 || expressionItems > 1))
            _violations.Add(path, "must be either a list of licenses or a single expression (CycloneDX 1.6 licenseChoice)");
        return result;
    }

    private ComponentLicense? ReadLicense(JsonElement license, string path)
    {
        if (!license.ExpectObject(path, _violations)) return null;
        var hasId = license.TryGetProperty("id", out _);
        var hasName = license.TryGetProperty("name", out _);
        if (hasId == hasName)
            _violations.Add(path, hasId ? "must have either 'id' or 'name', not both" : "must have 'id' or 'name'");
        var ack = ReadAcknowledgement(license, path);
        if (license.Prop("text") is { } text) ValidateAttachment(text, JsonPath.Prop(path, "text"));
        if (license.Prop("properties") is { } props) ValidateProperties(props, JsonPath.Prop(path, "properties"));
        var id = license.OptionalString("id", path, _violations);
        var name = license.OptionalString("name", path, _violations);
        if (id is not null)
        {
            // bom schema: "id" is an enum of the SPDX licence list (spdx.schema.json).
            if (!SpdxLicenseList.TryGetLicense(id, out var canonical) || canonical != id)
            {
                _violations.Add(JsonPath.Prop(path, "id"), $"'{JsonElementExtensions.Short(id)}' is not an SPDX licence id");
                return new ComponentLicense(id, new LicenseId(id, false, IsListed: false), ack);
            }
            if (!_listedLicenses.TryGetValue((canonical, ack), out var shared))
                _listedLicenses[(canonical, ack)] = shared = new ComponentLicense(canonical, new LicenseId(canonical, false, IsListed: true), ack);
            return shared;
        }
        if (name is { Length: > 0 }) return new ComponentLicense(name, new LicenseName(name), ack);
        return null;
    }

    private LicenseAcknowledgement ReadAcknowledgement(JsonElement e, string path)
    {
        if (_minor >= 6) e.EnumValue("acknowledgement", path, _violations, Acknowledgements);
        return e.Str("acknowledgement") == "concluded" ? LicenseAcknowledgement.Concluded : LicenseAcknowledgement.Declared;
    }

    private void ValidateAttachment(JsonElement a, string path)
    {
        if (!a.ExpectObject(path, _violations)) return;
        a.RequiredString("content", path, _violations);
        a.OptionalString("contentType", path, _violations);
        a.EnumValue("encoding", path, _violations, Encodings);
    }

    private void ValidateProperties(JsonElement props, string path)
    {
        if (!props.ExpectArray(path, _violations)) return;
        var i = 0;
        foreach (var p in props.EnumerateArray())
        {
            var itemPath = JsonPath.Item(path, i++);
            if (!p.ExpectObject(itemPath, _violations)) continue;
            p.OnlyProperties(itemPath, _violations, PropertyKeys);
            if (_minor >= 6) p.RequiredString("name", itemPath, _violations);
            else p.OptionalString("name", itemPath, _violations);
            p.OptionalString("value", itemPath, _violations);
        }
    }

    private void ValidateExternalReferences(JsonElement refs, string path)
    {
        if (!refs.ExpectArray(path, _violations)) return;
        var i = 0;
        foreach (var r in refs.EnumerateArray())
        {
            var itemPath = JsonPath.Item(path, i++);
            if (!r.ExpectObject(itemPath, _violations)) continue;
            r.RequiredString("url", itemPath, _violations);
            r.RequiredString("type", itemPath, _violations);
            foreach (var (h, j) in r.Items("hashes").Select((x, j) => (x, j)))
                ReadHash(h, itemPath, "hashes", j);
        }
    }

    private void ValidatePedigree(JsonElement p, string path, int depth)
    {
        if (!p.ExpectObject(path, _violations)) return;
        foreach (var kind in new[] { "ancestors", "descendants", "variants" })
            foreach (var (c, i) in p.Items(kind).Select((x, i) => (x, i)))
                MapComponent(c, JsonPath.Item(JsonPath.Prop(path, kind), i), addToList: false, depth + 1);
        foreach (var (patch, i) in p.Items("patches").Select((x, i) => (x, i)))
        {
            var patchPath = JsonPath.Item(JsonPath.Prop(path, "patches"), i);
            if (!patch.ExpectObject(patchPath, _violations)) continue;
            if (patch.RequiredString("type", patchPath, _violations) is { } pt && !PatchTypes.Contains(pt))
                _violations.Add(JsonPath.Prop(patchPath, "type"), $"'{JsonElementExtensions.Short(pt)}' is not a patch type");
            if (patch.Prop("diff") is { } diff && diff.ExpectObject(JsonPath.Prop(patchPath, "diff"), _violations) && diff.Prop("text") is { } text)
                ValidateAttachment(text, JsonPath.Prop(JsonPath.Prop(patchPath, "diff"), "text"));
            foreach (var (issue, j) in patch.Items("resolves").Select((x, j) => (x, j)))
            {
                var issuePath = JsonPath.Item(JsonPath.Prop(patchPath, "resolves"), j);
                if (!issue.ExpectObject(issuePath, _violations)) continue;
                if (issue.RequiredString("type", issuePath, _violations) is { } it && !IssueTypes.Contains(it))
                    _violations.Add(JsonPath.Prop(issuePath, "type"), $"'{JsonElementExtensions.Short(it)}' is not an issue type");
            }
        }
    }

    private bool ReadDependency(JsonElement d, int index)
    {
        var path = JsonPath.Item("$.dependencies", index);
        if (!d.ExpectObject(path, _violations)) return false;
        // bom schema "dependency": ref (refLinkType, minLength 1) is required; dependsOn items are refs too.
        var from = d.RequiredString("ref", path, _violations, minLength: 1);
        if (from is { Length: > 0 }) _refUses.Add((from, index, null, -1));
        var any = false;
        foreach (var kind in new[] { "dependsOn", "provides" })
        {
            if (d.Prop(kind) is not { } list) continue;
            var listPath = JsonPath.Prop(path, kind);
            if (!list.ExpectArray(listPath, _violations)) continue;
            var i = 0;
            foreach (var to in list.EnumerateArray())
            {
                i++;
                if (to.ValueKind != JsonValueKind.String || to.GetString() is not { Length: > 0 } target)
                {
                    _violations.Add(JsonPath.Item(listPath, i - 1), "must be a non-empty bom-ref string");
                    continue;
                }
                _refUses.Add((target, index, kind, i - 1));
                if (from is { Length: > 0 } && kind == "dependsOn")
                {
                    if (_relationships.Count >= _limits.MaxRelationships)
                    {
                        _limitFinding ??= new Finding(SbomCodes.InputTooManyElements, $"The BOM has more than {_limits.MaxRelationships} dependency edges.");
                        return any;
                    }
                    _relationships.Add(new Relationship(Ref(from), Ref(target), RelationshipKind.DependsOn, "dependsOn"));
                }
            }
        }
        any = from is { Length: > 0 };
        return any;
    }

    private void ValidateService(JsonElement s, string path)
    {
        if (!s.ExpectObject(path, _violations)) return;
        s.RequiredString("name", path, _violations);
        if (s.OptionalString("bom-ref", path, _violations, minLength: 1) is { Length: > 0 } serviceRef && !_bomRefs.Add(serviceRef))
            _violations.Add(JsonPath.Prop(path, "bom-ref"), $"bom-ref '{JsonElementExtensions.Short(serviceRef)}' is not unique in the BOM");
        foreach (var (data, i) in s.Items("data").Select((x, i) => (x, i)))
        {
            var dataPath = JsonPath.Item(JsonPath.Prop(path, "data"), i);
            if (!data.ExpectObject(dataPath, _violations)) continue;
            if (data.RequiredString("flow", dataPath, _violations) is { } flow && !DataFlows.Contains(flow))
                _violations.Add(JsonPath.Prop(dataPath, "flow"), $"'{JsonElementExtensions.Short(flow)}' is not a data flow direction");
            data.RequiredString("classification", dataPath, _violations);
        }
        if (s.Prop("properties") is { } props) ValidateProperties(props, JsonPath.Prop(path, "properties"));
        foreach (var (nested, i) in s.Items("services").Select((x, i) => (x, i)))
            ValidateService(nested, JsonPath.Item(JsonPath.Prop(path, "services"), i));
    }

    /// <summary>One instance per distinct short value (types, versions, suppliers) so that a large BOM does not hold
    /// the same text a hundred thousand times; the pool itself is bounded.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    private string? Intern(string? value)
    {
        if (value is null || value.Length > 64) return value;
        if (_strings.TryGetValue(value, out var shared)) return shared;
        if (_strings.Count < 65_536) _strings[value] = value;
        return value;
    }

    /// <summary>Dependency endpoints reuse the component's bom-ref string.</summary>
    private string Ref(string value) => _bomRefs.TryGetValue(value, out var shared) ? shared : value;

    private static FrozenSet<string> Set(params string[] values) => values.ToFrozenSet(StringComparer.Ordinal);
}
