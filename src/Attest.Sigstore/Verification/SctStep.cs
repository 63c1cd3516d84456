using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Core;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Verification;

/// <summary>
/// Embedded signed certificate timestamps (RFC 6962 §3.3, extension 1.3.6.1.4.1.11129.2.4.2): at least the threshold
/// must verify with a CT log of the trusted root whose validity contains the SCT time. Each SCT signs the precertificate:
/// the leaf's TBSCertificate without the SCT extension, with the issuer's key hash and the SCT's own extensions.
/// (reference §1.1 step 8; conformance invalid-ct-key_fail, bundle-with-sct-with-extensions)
/// </summary>
internal sealed class SctStep : IVerificationStep
{
    public const string SctListOid = "1.3.6.1.4.1.11129.2.4.2";

    /// <summary>The critical extension that makes a precertificate unusable as a certificate (RFC 6962 §3.1).</summary>
    public const string PrecertificatePoisonOid = "1.3.6.1.4.1.11129.2.4.3";

    // Issuers come from the trusted root, so their key hashes are computed once.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, byte[]> IssuerKeyHashes = new();

    public Finding? Verify(VerificationContext context)
    {
        if (context.Bundle.LeafFields is not { } leaf) return null;
        var threshold = context.Options.CertificateTransparencyThreshold;
        if (threshold == 0) return null;
        if (leaf.FindExtension(SctListOid) is not { } extension)
            return VerificationContext.Finding(SigstoreCodes.SctMissing, "The signing certificate has no embedded signed certificate timestamps (SCTs).");
        if (context.Issuer is null)
            return VerificationContext.Finding(SigstoreCodes.SctInvalid, "The signing certificate's issuer is unknown, so its SCTs cannot be checked.");

        List<Sct> scts;
        byte[] tbs;
        try
        {
            scts = ParseList(extension.Value, context.Limits.MaxSctsPerCertificate);
            tbs = PrecertificateTbs(leaf.RawData);
        }
        catch (Exception e) when (e is FormatException or AsnContentException or ArgumentOutOfRangeException)
        {
            return VerificationContext.Finding(SigstoreCodes.SctMalformed, $"The signing certificate's SCT list cannot be read: {e.Message}");
        }
        var issuerKeyHash = IssuerKeyHashes.GetValue(context.Issuer, static issuer => SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo()));
        var verifiedLogs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sct in scts)
        {
            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(sct.Timestamp, 253402300799999UL));
            foreach (var log in context.TrustedRoot.CertificateTransparencyLogs)
            {
                if (log.Key is null || !log.LogId.AsSpan().SequenceEqual(sct.LogId) || !log.ValidFor.Contains(time)) continue;
                var signed = SignedData(sct, issuerKeyHash, tbs);
                var scheme = (sct.HashAlgorithm, sct.SignatureAlgorithm, log.Key.Algorithm) switch
                {
                    (4, 3, KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521) => SignatureScheme.EcdsaSha256,
                    (5, 3, KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.EcdsaP521) => SignatureScheme.EcdsaSha384,
                    (4, 1, KeyAlgorithm.Rsa) => SignatureScheme.RsaPkcs1Sha256,
                    _ => (SignatureScheme?)null,
                };
                if (scheme is not null && log.Key.VerifyData(signed, sct.Signature, scheme.Value))
                {
                    verifiedLogs.Add(Convert.ToBase64String(log.LogId));
                    break;
                }
            }
        }
        if (verifiedLogs.Count < threshold)
        {
            return VerificationContext.Finding(SigstoreCodes.SctInvalid,
                $"{verifiedLogs.Count} of the certificate's {scts.Count} SCTs verify with a CT log of the trusted root; {threshold} required.");
        }
        return null;
    }

    internal sealed record Sct(byte Version, byte[] LogId, ulong Timestamp, byte[] Extensions, byte HashAlgorithm, byte SignatureAlgorithm, byte[] Signature);

    /// <summary>The extension value is an OCTET STRING holding the TLS-encoded SignedCertificateTimestampList (RFC 6962 §3.3).</summary>
    internal static List<Sct> ParseList(ReadOnlyMemory<byte> extensionValue, int max)
    {
        var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
        var tls = reader.ReadOctetString();
        reader.ThrowIfNotEmpty();
        var span = (ReadOnlySpan<byte>)tls;
        var listLength = ReadU16(ref span);
        if (listLength != span.Length) throw new FormatException("SCT list length does not match its contents");
        var result = new List<Sct>();
        while (span.Length > 0)
        {
            if (result.Count == max) throw new FormatException($"more than {max} SCTs");
            var length = ReadU16(ref span);
            var item = Take(ref span, length);
            var version = Take(ref item, 1)[0];
            if (version != 0) throw new FormatException($"SCT version {version} is not v1");
            var logId = Take(ref item, 32).ToArray();
            var timestamp = BinaryPrimitives.ReadUInt64BigEndian(Take(ref item, 8));
            var extensions = Take(ref item, ReadU16(ref item)).ToArray();
            var hash = Take(ref item, 1)[0];
            var signatureAlgorithm = Take(ref item, 1)[0];
            var signature = Take(ref item, ReadU16(ref item)).ToArray();
            if (item.Length != 0) throw new FormatException("SCT has trailing bytes");
            result.Add(new Sct(version, logId, timestamp, extensions, hash, signatureAlgorithm, signature));
        }
        return result;
    }

    /// <summary>The leaf's TBSCertificate re-encoded without the SCT list extension: the precertificate the log signed (RFC 6962 §3.2).</summary>
    internal static byte[] PrecertificateTbs(byte[] certificate)
    {
        var reader = new AsnReader(certificate, AsnEncodingRules.DER);
        var outer = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var tbs = outer.ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
            while (tbs.HasData)
            {
                if (tbs.PeekTag() == extensionsTag)
                {
                    var wrapper = tbs.ReadSequence(extensionsTag);
                    var extensions = wrapper.ReadSequence();
                    wrapper.ThrowIfNotEmpty();
                    using (writer.PushSequence(extensionsTag))
                    using (writer.PushSequence())
                    {
                        while (extensions.HasData)
                        {
                            var encoded = extensions.ReadEncodedValue();
                            var extension = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
                            // The final certificate's SCT list, or the precertificate's poison (RFC 6962 §3.1): neither is signed.
                            var oid = extension.ReadObjectIdentifier();
                            if (oid is SctListOid or PrecertificatePoisonOid) continue;
                            writer.WriteEncodedValue(encoded.Span);
                        }
                    }
                }
                else
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                }
            }
        }
        return writer.Encode();
    }

    internal static byte[] SignedData(Sct sct, byte[] issuerKeyHash, byte[] tbs)
    {
        var data = new byte[1 + 1 + 8 + 2 + 32 + 3 + tbs.Length + 2 + sct.Extensions.Length];
        var span = data.AsSpan();
        span[0] = sct.Version;
        span[1] = 0; // certificate_timestamp
        BinaryPrimitives.WriteUInt64BigEndian(span[2..], sct.Timestamp);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1); // precert_entry
        issuerKeyHash.CopyTo(span[12..]);
        span[44] = (byte)(tbs.Length >> 16);
        span[45] = (byte)(tbs.Length >> 8);
        span[46] = (byte)tbs.Length;
        tbs.CopyTo(span[47..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(47 + tbs.Length)..], (ushort)sct.Extensions.Length);
        sct.Extensions.CopyTo(span[(49 + tbs.Length)..]);
        return data;
    }

    private static int ReadU16(ref ReadOnlySpan<byte> span) => BinaryPrimitives.ReadUInt16BigEndian(Take(ref span, 2));

    private static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> span, int count)
    {
        if (count > span.Length) throw new FormatException("SCT data is truncated");
        var head = span[..count];
        span = span[count..];
        return head;
    }
}
