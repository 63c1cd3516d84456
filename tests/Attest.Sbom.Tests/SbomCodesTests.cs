using System.Reflection;
using System.Xml.Linq;
using Attest.Testing;

namespace Attest.Sbom.Tests;

public sealed class SbomCodesTests
{
    /// <summary>Snapshot of every reason code: a rename or removal is a visible diff here.</summary>
    [Fact]
    public void Reason_codes_are_stable()
    {
        var codes = typeof(SbomCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => $"{f.Name}={f.GetRawConstantValue()}").Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "AgeExceeded=sbom.age.exceeded",
            "AgeInFuture=sbom.age.in-future",
            "AgeUnknown=sbom.age.unknown",
            "AttestationMalformed=sbom.attestation.malformed",
            "AttestationUnsupportedPredicate=sbom.attestation.unsupported-predicate",
            "ComponentDenied=sbom.component.denied",
            "FormatUnknown=sbom.format.unknown",
            "FormatUnsupportedVersion=sbom.format.unsupported-version",
            "InputDuplicateKey=sbom.input.duplicate-key",
            "InputInvalidJson=sbom.input.invalid-json",
            "InputInvalidUtf8=sbom.input.invalid-utf8",
            "InputStringTooLong=sbom.input.string-too-long",
            "InputTooDeep=sbom.input.too-deep",
            "InputTooLarge=sbom.input.too-large",
            "InputTooManyElements=sbom.input.too-many-elements",
            "LicenseDenied=sbom.license.denied",
            "LicenseNotAllowed=sbom.license.not-allowed",
            "LicenseUnparseable=sbom.license.unparseable",
            "LimitsBytes=sbom.limits.bytes",
            "LimitsComponents=sbom.limits.components",
            "NtiaAuthor=sbom.ntia.author",
            "NtiaDependency=sbom.ntia.dependency",
            "NtiaIdentifier=sbom.ntia.identifier",
            "NtiaName=sbom.ntia.name",
            "NtiaSupplier=sbom.ntia.supplier",
            "NtiaTimestamp=sbom.ntia.timestamp",
            "NtiaVersion=sbom.ntia.version",
            "SchemaViolation=sbom.schema.violation",
            "SubjectMismatch=sbom.subject.mismatch",
        ], codes);
    }

    [Theory]
    [InlineData(SbomCodes.InputDuplicateKey, true)]
    [InlineData(SbomCodes.FormatUnknown, true)]
    [InlineData(SbomCodes.AttestationMalformed, true)]
    [InlineData(SbomCodes.SchemaViolation, false)]
    [InlineData(SbomCodes.LicenseDenied, false)]
    public void Unusable_input_is_decided_by_prefix(string code, bool unusable) => Assert.Equal(unusable, SbomCodes.IsUnusableInput(code));

    [Fact]
    public void Sbom_library_reads_no_clock_directly()
    {
        var offenders = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src", "Attest.Sbom"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f) is var text && (text.Contains("DateTime.UtcNow", StringComparison.Ordinal) || text.Contains("DateTime.Now", StringComparison.Ordinal) || text.Contains("DateTimeOffset.UtcNow", StringComparison.Ordinal) || text.Contains("DateTimeOffset.Now", StringComparison.Ordinal)))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Sbom_library_depends_only_on_core()
    {
        var project = XDocument.Load(Path.Combine(RepositoryPaths.Root, "src", "Attest.Sbom", "Attest.Sbom.csproj"));
        var references = project.Descendants("ProjectReference").Select(e => e.Attribute("Include")!.Value).ToList();
        Assert.Equal(["../Attest.Core/Attest.Core.csproj"], references);
        Assert.Empty(project.Descendants("PackageReference"));
    }
}
