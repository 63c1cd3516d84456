using System.Security.Cryptography;
using Attest.Core;
using Attest.Core.Dsse;
using Attest.Core.InToto;
using Attest.Core.X509;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Cosign;

namespace Attest.Policy.Evaluation;

/// <summary>
/// Something attached to an image that may prove who signed it or what is attested about it. Nothing about it is
/// trusted until an authority's verifier says so; what it claims (its statement, its signer) is read only to order and
/// skip work. Each kind (Sigstore bundles, cosign's legacy layers, Notary signatures) is a subclass, read by the
/// collector and verified by the <see cref="IEvidenceVerifier"/> that knows it.
/// </summary>
public abstract class FoundEvidence(string source)
{
    /// <summary>Where it was found, for reasons a person can follow (<c>referrer sha256:…</c>, a cosign tag layer).</summary>
    public string Source => source;

    /// <summary>The in-toto statement it carries, unverified; null for a plain signature.</summary>
    public abstract Statement? Statement { get; }

    /// <summary>The exact bytes of <see cref="Statement"/> (what an SBOM is read from once verified).</summary>
    public abstract byte[]? StatementBytes { get; }

    /// <summary>Who it says signed it (no cryptography, so never a reason to trust).</summary>
    public abstract SignerClaim Signer { get; }
}

/// <summary>What evidence says about its signer before anything is verified: signed with a bare public key, or with
/// a certificate naming identities (SANs) issued by an OIDC issuer. Verifiers use it to skip evidence no authority
/// of a policy could have produced, so that junk signatures cost almost nothing.</summary>
public sealed record SignerClaim(bool PublicKey, IReadOnlyList<string> Identities, string? Issuer)
{
    public static SignerClaim Unknown { get; } = new(false, [], null);

    /// <summary>How to name a signer that is neither a key nor a Fulcio identity (a Notary signing certificate's subject).</summary>
    public string? Description { get; init; }

    public static SignerClaim FromCertificate(CertificateFields? leaf)
    {
        if (leaf is null) return Unknown;
        try
        {
            var identities = SubjectAlternativeName.Read(leaf)
                .Where(n => n.Kind is SubjectAlternativeNameKind.Email or SubjectAlternativeNameKind.Uri or SubjectAlternativeNameKind.SigstoreUsername)
                .Select(n => n.Value).ToList();
            return new SignerClaim(false, identities, FulcioExtensions.Read(leaf).Issuer);
        }
        catch (CryptographicException)
        {
            return Unknown;
        }
    }

    public override string ToString() =>
        Description is { } description ? description
        : PublicKey ? "a public key" : Identities.Count > 0 ? $"{string.Join(", ", Identities)} (issuer {Issuer ?? "none"})" : "an unreadable signer";
}

/// <summary>A Sigstore bundle found as a referrer of the image; parsed once, on first use, however many policies then
/// verify it.</summary>
public sealed class FoundBundle(string source, byte[] json) : FoundEvidence(source)
{
    private readonly Lazy<ParsedBundle> _parsed = new(() => ParsedBundle.From(json));

    public byte[] Json => json;

    public ParsedBundle Parsed => _parsed.Value;

    public override Statement? Statement => Parsed.Statement;

    public override byte[]? StatementBytes => Parsed.StatementBytes;

    public override SignerClaim Signer => Parsed.Bundle is not { } bundle ? SignerClaim.Unknown
        : bundle.HasPublicKey ? new SignerClaim(true, [], null)
        : SignerClaim.FromCertificate(bundle.LeafFields);
}

/// <summary>A bundle's structure, or why it has none; for DSSE bundles also the (unverified) in-toto statement.</summary>
public sealed record ParsedBundle(Bundle? Bundle, Finding? Failure, Statement? Statement, byte[]? StatementBytes)
{
    public static ParsedBundle From(byte[] json)
    {
        if (!Bundle.TryParse(json, out var bundle, out var failure)) return new ParsedBundle(null, failure, null, null);
        var statementBytes = bundle.DsseEnvelope?.Payload;
        Statement? statement = null;
        if (statementBytes is not null) Statement.TryParse(statementBytes, out statement, out _);
        return new ParsedBundle(bundle, null, statement, statementBytes);
    }
}

/// <summary>A legacy cosign signature layer (simple-signing payload and its annotations) under the <c>.sig</c> tag.</summary>
public sealed class FoundLegacySignature(string source, LegacyCosignSignature signature) : FoundEvidence(source)
{
    public LegacyCosignSignature Signature => signature;

    public override Statement? Statement => null;

    public override byte[]? StatementBytes => null;

    public override SignerClaim Signer => LegacySigner(signature.Annotations);

    internal static SignerClaim LegacySigner(IReadOnlyDictionary<string, string> annotations)
    {
        if (!annotations.TryGetValue(LegacyCosignSignature.CertificateAnnotation, out var pem) || pem.Length == 0) return new SignerClaim(true, [], null);
        if (!PemEncoding.TryFind(pem, out var fields)) return SignerClaim.Unknown;
        try
        {
            var der = Convert.FromBase64String(pem[fields.Base64Data].ToString());
            return CertificateFields.TryParse(der, out var leaf, out _) ? SignerClaim.FromCertificate(leaf) : SignerClaim.Unknown;
        }
        catch (FormatException)
        {
            return SignerClaim.Unknown;
        }
    }
}

/// <summary>A legacy cosign attestation layer (DSSE envelope and its annotations) under the <c>.att</c> tag. Its
/// in-toto statement is read once, for the predicate type a failure names and for the conditions once it verifies.</summary>
public sealed class FoundLegacyAttestation(string source, LegacyCosignAttestation attestation) : FoundEvidence(source)
{
    private readonly Lazy<(Statement? Statement, byte[]? Bytes)> _statement = new(() =>
    {
        if (!DsseEnvelope.TryParse(attestation.Envelope, out var envelope, out _, new DsseLimits(LegacyCosignAttestation.MaxEnvelopeBytes))) return (null, null);
        return Statement.TryParse(envelope.Payload, out var statement, out _) ? (statement, envelope.Payload) : (null, null);
    });

    public LegacyCosignAttestation Attestation => attestation;

    public override Statement? Statement => _statement.Value.Statement;

    public override byte[]? StatementBytes => _statement.Value.Bytes;

    public override SignerClaim Signer => FoundLegacySignature.LegacySigner(attestation.Annotations);
}

/// <summary>A Notary Project signature envelope found as a referrer (JWS or COSE, by its layer media type), with the
/// descriptor of the artifact it was found on (digest, media type and size of the manifest the registry served for the
/// digest): the signed payload must name exactly that. Parsed once, on first use, however many authorities then verify
/// it; nothing about it is trusted until one does.</summary>
public sealed class FoundNotarySignature(string source, string mediaType, byte[] envelope, Notation.Verification.ExpectedArtifact subject) : FoundEvidence(source)
{
    private readonly Lazy<(Notation.Envelopes.SignatureEnvelope? Envelope, Finding? Failure)> _parsed = new(() =>
        Notation.Envelopes.NotationEnvelope.TryParse(mediaType, envelope, out var parsed, out var failure) ? (parsed, null) : (null, failure));

    public string MediaType => mediaType;

    /// <summary>What the payload must name: the subject's digest, media type and size.</summary>
    public Notation.Verification.ExpectedArtifact Subject => subject;

    /// <summary>The envelope's structure, or why it has none.</summary>
    public (Notation.Envelopes.SignatureEnvelope? Envelope, Finding? Failure) Parsed => _parsed.Value;

    public override Statement? Statement => null;

    public override byte[]? StatementBytes => null;

    public override SignerClaim Signer
    {
        get
        {
            if (Parsed.Envelope is not { CertificateChain: [var leaf, ..] } || !CertificateFields.TryParse(leaf, out var fields, out _)) return SignerClaim.Unknown;
            return SignerClaim.Unknown with { Description = $"the Notary signing certificate '{CertificateFields.DescribeName(fields.SubjectName)}'" };
        }
    }
}

/// <summary>
/// Everything collected for one image digest, before any verification: the evidence read, the problems met reading
/// it (a broken referrer does not stop the others from counting), the candidates left unexamined because of the
/// bounds (named, so that a denial can say what was skipped), and, when a policy checks platforms, the manifest and
/// the evidence of each required platform's manifest.
/// </summary>
public sealed record CollectedEvidence(
    Digest Subject,
    IReadOnlyList<FoundEvidence> Items,
    IReadOnlyList<Finding> Problems)
{
    /// <summary>The subject's own manifest or index; set when a policy checks platforms.</summary>
    public Oci.Manifest? Manifest { get; init; }

    /// <summary>Evidence of platform manifests (by digest) whose signatures a policy requires.</summary>
    public IReadOnlyDictionary<Digest, CollectedEvidence> Platforms { get; init; } = new Dictionary<Digest, CollectedEvidence>();

    public int Count => Items.Count;
}
