using Attest.Sbom.Licensing;

namespace Attest.Sbom.Model;

public enum SbomFormat
{
    Spdx2,
    Spdx3,
    CycloneDx,
}

/// <summary>
/// One SBOM, whatever format it arrived in: identity, creation information, components, and relationships.
/// Readers fill it; checks read only this model.
/// </summary>
public sealed record SbomDocument
{
    public required SbomFormat Format { get; init; }

    /// <summary>Version of the format as written: <c>SPDX-2.3</c>, <c>3.0.1</c>, <c>1.6</c>.</summary>
    public required string SpecVersion { get; init; }

    /// <summary>SPDX <c>documentNamespace</c> / SPDX 3 document <c>spdxId</c> / CycloneDX <c>serialNumber</c>.</summary>
    public string? Identifier { get; init; }

    /// <summary>CycloneDX <c>version</c> (re-issue counter); null for SPDX.</summary>
    public int? BomVersion { get; init; }

    public string? Name { get; init; }

    public required CreationInfo Creation { get; init; }

    public required IReadOnlyList<Component> Components { get; init; }

    public required IReadOnlyList<Relationship> Relationships { get; init; }

    /// <summary>Ids of the elements the document describes (SPDX DESCRIBES / documentDescribes, SPDX 3
    /// <c>software_Sbom.rootElement</c>, CycloneDX <c>metadata.component</c>).</summary>
    public required IReadOnlyList<string> Roots { get; init; }

    /// <summary>CycloneDX <c>metadata.component</c> (what the BOM describes), when present.</summary>
    public Component? Subject { get; init; }

    /// <summary>Elements (by id) that are software artifacts but lack an identifier; SPDX 3 files without an
    /// <c>spdxId</c> end up here by name.</summary>
    public IReadOnlyList<string> ElementsWithoutIdentifier { get; init; } = [];

    /// <summary>True when the document states at least one dependency relationship in the sense of the NTIA minimum
    /// elements (decided by the reader from format-specific rules).</summary>
    public bool HasDependencyRelationships { get; init; }
}

public sealed record CreationInfo
{
    /// <summary>Parsed creation time; null when absent or not an RFC 3339 date-time.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>The timestamp as written (for messages).</summary>
    public string? CreatedText { get; init; }

    /// <summary>Authors: SPDX creators that are persons or organisations, CycloneDX <c>metadata.authors</c>.</summary>
    public IReadOnlyList<string> Authors { get; init; } = [];

    public IReadOnlyList<Tool> Tools { get; init; } = [];
}

public sealed record Tool(string Name, string? Version = null, string? Vendor = null);

public enum HashAlgorithm
{
    Other,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Blake2b256,
    Blake2b384,
    Blake2b512,
    Blake3,
}

public sealed record ComponentHash(HashAlgorithm Algorithm, string AlgorithmText, string Value);

/// <summary>Whether a licence was declared by the component's authors or concluded by whoever wrote the SBOM.</summary>
public enum LicenseAcknowledgement
{
    Declared,
    Concluded,
}

/// <summary>One licence statement about a component: the text as written and, when it parses, the expression.
/// CycloneDX licence <c>name</c>s (not SPDX ids) are kept as text with <see cref="Expression"/> null.</summary>
public sealed record ComponentLicense(string Text, LicenseExpression? Expression, LicenseAcknowledgement Acknowledgement);

public sealed record Component
{
    /// <summary>CycloneDX <c>bom-ref</c>, SPDX <c>SPDXID</c> / <c>spdxId</c>; null when the document gave none.</summary>
    public string? Id { get; init; }

    public string? Group { get; init; }

    public required string Name { get; init; }

    public string? Version { get; init; }

    /// <summary>Supplier as written (SPDX <c>supplier</c> without the <c>Organization: </c> prefix, CycloneDX
    /// <c>supplier.name</c>, SPDX 3 <c>suppliedBy</c> agent name); <c>NOASSERTION</c> is stored as null.</summary>
    public string? Supplier { get; init; }

    public string? Purl { get; init; }

    public string? Cpe { get; init; }

    public string? Type { get; init; }

    public IReadOnlyList<ComponentHash> Hashes { get; init; } = [];

    public IReadOnlyList<ComponentLicense> Licenses { get; init; } = [];

    /// <summary>A short human label: <c>group/name@version</c> or the name.</summary>
    public string DisplayName =>
        (Group is { Length: > 0 } ? Group + "/" : "") + (Name.Length > 0 ? Name : Id ?? "(unnamed)") + (Version is { Length: > 0 } ? "@" + Version : "");
}

public enum RelationshipKind
{
    DependsOn,
    Contains,
    Describes,
    Other,
}

/// <summary>A directed edge between element ids, normalised so that <see cref="From"/> depends on / contains /
/// describes <see cref="To"/> (SPDX <c>DEPENDENCY_OF</c> is turned around).</summary>
public sealed record Relationship(string From, string To, RelationshipKind Kind, string Type);
