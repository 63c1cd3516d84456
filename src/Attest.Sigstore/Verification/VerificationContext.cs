using System.Security.Cryptography.X509Certificates;
using Attest.Core;
using Attest.Sigstore.Bundles;
using Attest.Sigstore.Rekor;
using Attest.Sigstore.TrustRoot;
using PublicKey = Attest.Core.Crypto.PublicKey;

namespace Attest.Sigstore.Verification;

/// <summary>What the steps of one verification share: the inputs, and the evidence earlier steps established.</summary>
internal sealed class VerificationContext
{
    public VerificationContext(Bundle bundle, Artifact artifact, ArtifactPolicy policy, TrustedRoot trustedRoot, VerifierOptions options, SigstoreLimits limits, TimeProvider time)
    {
        Bundle = bundle;
        Artifact = artifact;
        Policy = policy;
        TrustedRoot = trustedRoot;
        Options = options;
        Limits = limits;
        Time = time;
    }

    public Bundle Bundle { get; }
    public Artifact Artifact { get; }
    public ArtifactPolicy Policy { get; }
    public TrustedRoot TrustedRoot { get; }
    public VerifierOptions Options { get; }
    public SigstoreLimits Limits { get; }
    public TimeProvider Time { get; }

    /// <summary>The key that signed the artifact: the leaf certificate's, or the policy's managed key.</summary>
    public PublicKey? SigningKey { get; set; }

    /// <summary>DER the transparency log entries must name as verifier: the leaf certificate, or the key's SPKI.</summary>
    public byte[]? VerifierDer { get; set; }

    public bool VerifierIsCertificate { get; set; }

    /// <summary>Parsed bodies, one per bundle entry, with the log each came from.</summary>
    public List<(TransparencyLogEntry Entry, TransparencyLogInstance Log, RekorEntryBody Body)> Entries { get; } = [];

    public List<VerifiedTimestamp> Timestamps { get; } = [];

    /// <summary>The issuing CA certificate of the leaf, as found when building the chain.</summary>
    public X509Certificate2? Issuer { get; set; }

    public string? MatchedSan { get; set; }

    public string? MatchedIssuer { get; set; }

    public static Finding Finding(string code, string message, params (string Key, string Value)[] evidence) =>
        new(code, message, evidence.Length == 0 ? null : evidence.ToDictionary(e => e.Key, e => e.Value));
}

/// <summary>One check of the ordered pipeline in <see cref="BundleVerifier"/>. Returns null when the check passes.</summary>
internal interface IVerificationStep
{
    Finding? Verify(VerificationContext context);
}
