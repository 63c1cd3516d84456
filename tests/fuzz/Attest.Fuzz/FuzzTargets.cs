using System.Diagnostics.CodeAnalysis;
using Attest.Fuzz.Targets;

namespace Attest.Fuzz;

/// <summary>Every target, by the name the scripts, the corpora (<c>tests/fuzz/corpus/NAME</c>) and the regression
/// inputs (<c>tests/fuzz/regressions/NAME</c>) use.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("bundle", "Sigstore bundle JSON through BundleVerifier.Verify (Bundle.TryParse and the ordered verification steps)", BundleTarget.Run),
        new("trusted-root", "Sigstore trusted root JSON (TrustedRoot.TryParse)", TrustedRootTarget.Run),
        new("dsse", "DSSE envelope and the in-toto statement it carries (DsseEnvelope.TryParse, Statement.TryParse, signature check)", DsseTarget.Run),
        new("certificate", "X.509 certificate DER, its SANs and Fulcio extensions (CertificateFields.TryParse, SubjectAlternativeName, FulcioExtensions)", CertificateTarget.Run),
        new("rfc3161", "RFC 3161 TimeStampResp in a bundle through the verifier's timestamp step", Rfc3161Target.Run),
        new("signed-note", "C2SP signed notes and checkpoints (SignedNote.TryParse, Checkpoint.TryParse/TryOpen, NoteVerifierKey.TryParse)", SignedNoteTarget.Run),
        new("admission-review", "Kubernetes AdmissionReview body (AdmissionReviewReader, WorkloadImages, ImageReference)", AdmissionReviewTarget.Run),
        new("policy", "policy YAML file (PolicyDirectoryLoader.LoadFile)", PolicyTarget.Run),
        new("oci-manifest", "OCI manifest or index fetched by RegistryClient.GetManifestAsync (Manifest.Parse)", OciManifestTarget.Run),
        new("www-authenticate", "a registry's WWW-Authenticate challenge and token response, answered by RegistryClient", WwwAuthenticateTarget.Run),
        new("go-mod", "go.mod (GoModFile.Parse)", GoModTarget.Run),
        new("go-sum", "go.sum (GoSumFile.Parse)", GoSumTarget.Run),
        new("modules-txt", "vendor/modules.txt (VendorModulesTxt.Parse)", ModulesTxtTarget.Run),
        new("module-zip", "module and upload zips (ModuleZip.Hash, ModuleZipIdentity.Identify, ZipDirectory, ExtractionBudget.Extract)", ModuleZipTarget.Run),
        new("sbom", "SPDX 2/3 and CycloneDX JSON, bare or in an in-toto statement (SbomReader.Read, SbomChecker.Check)", SbomTarget.Run),
        new("multipart", "multipart/form-data upload body (MultipartUpload.ReadAsync)", MultipartTarget.Run),
        new("license-expression", "SPDX licence expression (LicenseExpression.TryParse, LicensePolicy)", LicenseExpressionTarget.Run),
        new("purl", "package URL (PackageUrl.TryParse, ComponentRule.TryParse)", PurlTarget.Run),
        new("sumdb-request", "checksum-database lookup and tile paths, record text (SumDbModule.TryParseLookup, SumDbTile.TryParsePath, SumDbRecord.TryParse)", SumDbRequestTarget.Run),
    ];

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static bool TryGet(string name, [NotNullWhen(true)] out FuzzTarget? target)
    {
        target = All.FirstOrDefault(t => t.Name == name);
        return target is not null;
    }
}
