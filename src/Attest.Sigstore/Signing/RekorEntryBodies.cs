using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Attest.Core;
using Attest.Core.Dsse;
using Attest.Core.Json;

namespace Attest.Sigstore.Signing;

/// <summary>
/// Rekor v1 entry bodies as the log canonicalizes them (RFC 8785), the form <c>TlogEntryBodyStep</c> reads back:
/// <c>hashedrekord</c> 0.0.1 for message signatures and <c>dsse</c> 0.0.1 for DSSE envelopes (rekor pkg/types).
/// Verifiers are base64 of a PEM certificate or public key.
/// </summary>
public static class RekorEntryBodies
{
    /// <summary>hashedrekord 0.0.1: <c>spec.data.hash</c> is the artifact digest, <c>spec.signature</c> the signature and its verifier.</summary>
    public static byte[] HashedRekord(Digest artifactDigest, ReadOnlySpan<byte> signature, string verifierPem)
    {
        var sig = Convert.ToBase64String(signature);
        return Write(w =>
        {
            w.WriteString("apiVersion", "0.0.1");
            w.WriteString("kind", "hashedrekord");
            w.WriteStartObject("spec");
            w.WriteStartObject("data");
            w.WriteStartObject("hash");
            w.WriteString("algorithm", artifactDigest.Algorithm);
            w.WriteString("value", artifactDigest.Hex);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("signature");
            w.WriteString("content", sig);
            w.WriteStartObject("publicKey");
            w.WriteString("content", Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem)));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>dsse 0.0.1: hashes of the payload and of the canonical envelope JSON, and each signature with its verifier.</summary>
    public static byte[] Dsse(DsseEnvelope envelope, string verifierPem)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var envelopeHash = SHA256.HashData(CanonicalEnvelope(envelope));
        var payloadHash = SHA256.HashData(envelope.Payload);
        var verifier = Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem));
        return Write(w =>
        {
            w.WriteString("apiVersion", "0.0.1");
            w.WriteString("kind", "dsse");
            w.WriteStartObject("spec");
            w.WriteStartObject("envelopeHash");
            w.WriteString("algorithm", "sha256");
            w.WriteString("value", Convert.ToHexStringLower(envelopeHash));
            w.WriteEndObject();
            w.WriteStartObject("payloadHash");
            w.WriteString("algorithm", "sha256");
            w.WriteString("value", Convert.ToHexStringLower(payloadHash));
            w.WriteEndObject();
            w.WriteStartArray("signatures");
            foreach (var s in envelope.Signatures)
            {
                w.WriteStartObject();
                w.WriteString("signature", Convert.ToBase64String(s.Signature));
                w.WriteString("verifier", verifier);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>The dsse 0.0.1 entry a Rekor v1 client proposes: <c>spec.proposedContent</c> with the envelope as a JSON
    /// string and the verifier (base64 PEM); Rekor derives the stored body (<see cref="Dsse"/>) from it.</summary>
    public static byte[] DsseProposal(DsseEnvelope envelope, string verifierPem)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var envelopeJson = Encoding.UTF8.GetString(CanonicalEnvelope(envelope));
        return Write(w =>
        {
            w.WriteString("apiVersion", "0.0.1");
            w.WriteString("kind", "dsse");
            w.WriteStartObject("spec");
            w.WriteStartObject("proposedContent");
            w.WriteString("envelope", envelopeJson);
            w.WriteStartArray("verifiers");
            w.WriteStringValue(Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem)));
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>RFC 8785 JSON of the envelope as the bundle carries it (<c>payload</c>, <c>payloadType</c>, <c>signatures[{sig[, keyid]}]</c>).</summary>
    public static byte[] CanonicalEnvelope(DsseEnvelope envelope) => Write(w => WriteEnvelopeMembers(w, envelope));

    internal static void WriteEnvelopeMembers(Utf8JsonWriter w, DsseEnvelope envelope)
    {
        w.WriteString("payload", Convert.ToBase64String(envelope.Payload));
        w.WriteString("payloadType", envelope.PayloadType);
        w.WriteStartArray("signatures");
        foreach (var s in envelope.Signatures)
        {
            w.WriteStartObject();
            if (!string.IsNullOrEmpty(s.KeyId)) w.WriteString("keyid", s.KeyId);
            w.WriteString("sig", Convert.ToBase64String(s.Signature));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes one JSON object and returns its RFC 8785 form.</summary>
    internal static byte[] Write(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }
        return CanonicalJson.Canonicalize(buffer.WrittenSpan);
    }
}
