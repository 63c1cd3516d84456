using Attest.Ledger;
using System.Text.Json;
using Attest.Core;
using Attest.Server.Hosting;
using Attest.Sigstore.Signing;
using Microsoft.Extensions.Options;

namespace Attest.Server.Signing;

/// <summary>A bundle Attest issued and where its entry is in the ledger.</summary>
public sealed record IssuedBundle(byte[] Bundle, long LogIndex, string KeyId);

/// <summary>
/// Signs for CI clients with the active managed key: message signatures over artifact digests (Rekor
/// <c>hashedrekord</c>) and DSSE in-toto statements (<c>dsse</c>), each logged in the ledger, which is the bundles'
/// transparency log. The libraries build the bundle; this class decides which key and which log entry.
/// </summary>
public sealed class SigningService(AuditLedger ledger, ServiceKeys serviceKeys, ManagedKeyRing keys)
{
    /// <summary>Signs an artifact digest (SHA-256) as a message signature.</summary>
    /// <exception cref="NotSupportedException">The active key is Ed25519, which cannot sign a digest for hashedrekord.</exception>
    public async Task<IssuedBundle> SignDigestAsync(Digest digest, string client, string? artifact, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.AttestInstruments.Source.StartActivity("signing.signature");
        var key = keys.Active;
        if (key.Algorithm == SigningOptions.Ed25519)
            throw new NotSupportedException("the active signing key is Ed25519, which signs attestations only (Rekor hashedrekord cannot carry Ed25519 digest signatures); sign an attestation about the artifact instead");
        var log = Log(client, digest.ToString(), artifact, Details(("keyId", key.KeyId), ("artifact", artifact)));
        var bundle = await new BundleBuilder(log).SignDigestAsync(key.Signer, digest, cancellationToken).ConfigureAwait(false);
        Telemetry.AttestInstruments.Signed("signature");
        return new IssuedBundle(bundle, log.AppendedIndex!.Value, key.KeyId);
    }

    /// <summary>Signs an in-toto statement (already validated) as a DSSE envelope.</summary>
    public async Task<IssuedBundle> SignStatementAsync(byte[] statement, Digest subject, string? subjectName, string predicateType, string client, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.AttestInstruments.Source.StartActivity("signing.attestation");
        var key = keys.Active;
        var log = Log(client, subject.ToString(), subjectName, Details(("keyId", key.KeyId), ("predicateType", predicateType), ("subject", subjectName)));
        var bundle = await new BundleBuilder(log).SignStatementAsync(key.Signer, statement, cancellationToken).ConfigureAwait(false);
        Telemetry.AttestInstruments.Signed("attestation");
        return new IssuedBundle(bundle, log.AppendedIndex!.Value, key.KeyId);
    }

    /// <summary>cosign's image signature in the bundle format: a DSSE statement of type
    /// <c>https://sigstore.dev/cosign/sign/v1</c> about the image manifest digest.</summary>
    public Task<IssuedBundle> SignImageAsync(Digest image, string imageName, string client, CancellationToken cancellationToken) =>
        SignStatementAsync(StatementWriter.Write([(imageName, image)], StatementWriter.CosignSignPredicateType), image, imageName,
            StatementWriter.CosignSignPredicateType, client, cancellationToken);

    /// <summary>A legacy cosign signature: a message signature over the simple-signing payload (hashedrekord of its
    /// SHA-256), logged under the image digest so the ledger is searchable by image.</summary>
    /// <exception cref="NotSupportedException">The active key is Ed25519 (hashedrekord cannot carry it).</exception>
    public async Task<IssuedBundle> SignLegacyPayloadAsync(byte[] payload, Digest image, string imageName, string client, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.AttestInstruments.Source.StartActivity("signing.signature");
        var key = keys.Active;
        if (key.Algorithm == SigningOptions.Ed25519)
            throw new NotSupportedException("the active signing key is Ed25519, which cannot make a legacy cosign .sig signature (Rekor hashedrekord cannot carry Ed25519); push with legacy: false");
        var log = Log(client, image.ToString(), imageName, Details(("keyId", key.KeyId), ("layout", "cosign-legacy-signature"), ("payloadDigest", Digest.Sha256(payload).ToString())));
        var bundle = await new BundleBuilder(log).SignArtifactAsync(key.Signer, payload, cancellationToken).ConfigureAwait(false);
        Telemetry.AttestInstruments.Signed("signature");
        return new IssuedBundle(bundle, log.AppendedIndex!.Value, key.KeyId);
    }

    /// <summary>Whether the active key can make legacy (hashedrekord) signatures.</summary>
    public bool CanSignLegacy => keys.Active.Algorithm != SigningOptions.Ed25519;

    private LedgerTransparencyLog Log(string client, string digest, string? image, JsonElement details) =>
        new(ledger, serviceKeys.SigningKey, serviceKeys.LogId, client, digest, image, details);

    private static JsonElement Details(params (string Name, string? Value)[] fields)
    {
        var details = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, value) in fields)
            if (value is not null) details[name] = value;
        return LedgerEntry.DetailsFrom(details);
    }

}

/// <summary>Attest's trusted_root.json: the ledger as a Rekor-style transparency log, the keyless CA with its CT log, and
/// the timestamp authority, so any Sigstore verifier given this file (and, for managed keys, the public key) checks
/// Attest's bundles offline. It holds only public keys; it is served without a token.</summary>
/// <param name="logStart">When the ledger started: the log key's validity begins there.</param>
public sealed class AttestTrustedRoot(ServiceKeys serviceKeys, Keyless.KeylessAuthorities authorities, SigningOptions options, string ledgerOrigin,
    DateTimeOffset logStart, Identity.KeylessOptions keyless)
{
    private readonly Lazy<byte[]> _json = new(() =>
    {
        var logUrl = options.LogUrlFor(ledgerOrigin);
        var authorityUrl = keyless.PublicUrl ?? logUrl;
        return new TrustedRootBuilder()
            .AddTransparencyLog(logUrl, serviceKeys.SigningKey.ExportSubjectPublicKeyInfo(), logStart)
            .AddCertificateAuthority(authorityUrl, authorities.Ca.Chain, authorities.Ca.Chain[0].NotBefore)
            .AddCertificateTransparencyLog(authorityUrl, authorities.CtLog.PublicKeyInfo, authorities.CtLogStart)
            .AddTimestampAuthority(authorityUrl, authorities.Tsa.Chain, authorities.Tsa.Chain[0].NotBefore)
            .ToJson();
    });

    public DateTimeOffset LogStart => logStart;

    /// <summary>The roots policies may name: <c>trustedRoot: attest</c> is this one.</summary>
    public IReadOnlyDictionary<string, Attest.Sigstore.TrustRoot.TrustedRoot> NamedForPolicies() =>
        new Dictionary<string, Attest.Sigstore.TrustRoot.TrustedRoot>(StringComparer.Ordinal)
        {
            [Attest.Policy.ImagePolicyParser.AttestTrustedRoot] = Attest.Sigstore.TrustRoot.TrustedRoot.Parse(ToJson()),
        };

    /// <summary>The document, built on first use (its inputs are fixed once start-up has opened the keyless authorities).</summary>
    public byte[] ToJson() => _json.Value;
}
