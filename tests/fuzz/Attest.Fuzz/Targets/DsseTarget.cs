using Attest.Core.Crypto;
using Attest.Core.Dsse;
using Attest.Core.InToto;
using Attest.Sigstore.Cosign;

namespace Attest.Fuzz.Targets;

/// <summary>
/// A DSSE envelope as the admission evidence path reads one from a registry (<see cref="DsseEnvelope.TryParse"/> with
/// the legacy-attestation bound), its signature checked with a managed key, and the in-toto statement it carries
/// (<see cref="Statement.TryParse"/>); the input is also read as a bare statement, as the signing API takes one.
/// Both parsers answer false with a sentence for what they refuse.
/// </summary>
internal static class DsseTarget
{
    private static readonly SignatureVerifier[] Verifiers =
    [
        SignatureVerifier.ForKey(PublicKey.TryParse(Fixtures.Bytes("managed-key.pub"), out var key, out var error) ? key : throw new InvalidOperationException(error)),
    ];

    public static void Run(byte[] input)
    {
        Statement.TryParse(input, out _, out _);
        if (!DsseEnvelope.TryParse(input, out var envelope, out _, new DsseLimits(LegacyCosignAttestation.MaxEnvelopeBytes))) return;
        envelope.Verify(Verifiers, 1);
        if (envelope.PayloadType == Statement.PayloadType && Statement.TryParse(envelope.Payload, out var statement, out _))
            statement.HasSubjectDigest("sha256", new string('0', 64));
    }
}
