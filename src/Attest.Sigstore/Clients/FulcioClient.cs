using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Attest.Core.Crypto;

namespace Attest.Sigstore.Clients;

/// <summary>
/// Fulcio's v2 API from the client side: <c>POST /api/v2/signingCert</c> with the identity token, the public key and
/// the proof of possession (the key's signature over the token's challenge), answered with the certificate chain
/// (leaf first, SCT embedded). The chain is parsed and the leaf checked to certify the key that asked; whether it
/// chains to a trusted CA is the verifier's business.
/// </summary>
public sealed class FulcioClient(HttpClient http, Uri baseUrl)
{
    public const string Service = "the certificate authority";
    private const int MaxResponseBytes = 256 * 1024;

    /// <summary>Asks for a certificate for <paramref name="key"/>; returns the chain, leaf first.</summary>
    public async Task<IReadOnlyList<X509Certificate2>> CreateSigningCertificateAsync(IdentityToken token, ECDsa key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(key);
        var spki = key.ExportSubjectPublicKeyInfo();
        var proof = key.SignData(System.Text.Encoding.UTF8.GetBytes(token.Challenge), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("credentials");
            w.WriteString("oidcIdentityToken", token.Raw);
            w.WriteEndObject();
            w.WriteStartObject("publicKeyRequest");
            w.WriteStartObject("publicKey");
            w.WriteString("algorithm", "ECDSA");
            w.WriteString("content", Pem.Encode(Pem.PublicKeyLabel, spki));
            w.WriteEndObject();
            w.WriteString("proofOfPossession", Convert.ToBase64String(proof));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using var request = ServiceCall.Json(HttpMethod.Post, ServiceCall.Combine(baseUrl, "api/v2/signingCert"), buffer.WrittenSpan.ToArray());
        var body = await ServiceCall.SendAsync(http, request, Service, MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        var chain = ReadChain(body);
        if (!chain[0].PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
        {
            foreach (var certificate in chain) certificate.Dispose();
            throw new SigstoreServiceException(Service, null, "the certificate issued certifies another key than the one that asked");
        }
        return chain;
    }

    /// <summary><c>{"signedCertificateEmbeddedSct"|"signedCertificateDetachedSct": {"chain": {"certificates": [PEM…]}}}</c>.</summary>
    private static X509Certificate2[] ReadChain(byte[] body)
    {
        using var document = ServiceCall.ParseJson(body, Service);
        var root = document.RootElement;
        JsonElement signed = default;
        var found = root.ValueKind == JsonValueKind.Object &&
                    (root.TryGetProperty("signedCertificateEmbeddedSct", out signed) || root.TryGetProperty("signedCertificateDetachedSct", out signed));
        if (!found || signed.ValueKind != JsonValueKind.Object || !signed.TryGetProperty("chain", out var chain) || chain.ValueKind != JsonValueKind.Object
            || !chain.TryGetProperty("certificates", out var certificates) || certificates.ValueKind != JsonValueKind.Array
            || certificates.GetArrayLength() is 0 or > 10)
            throw new SigstoreServiceException(Service, null, "the answer has no certificate chain (signedCertificateEmbeddedSct.chain.certificates)");
        var parsed = new List<X509Certificate2>();
        foreach (var item in certificates.EnumerateArray())
        {
            try
            {
                parsed.Add(X509Certificate2.CreateFromPem(item.GetString() ?? ""));
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidOperationException)
            {
                foreach (var c in parsed) c.Dispose();
                throw new SigstoreServiceException(Service, null, $"certificate {parsed.Count} of the chain cannot be read ({e.Message})");
            }
        }
        return [.. parsed];
    }
}
