using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attest.Core.Crypto;
using Attest.Ledger;
using Attest.Server.Hosting;
using Attest.Sigstore.Cosign;
using Attest.Sigstore.Signing;

namespace Attest.Server.Signing;

/// <summary>A managed signing key: its public half, and (for the ring's keys) a signer. Retired keys keep verifying old signatures.</summary>
public sealed record ManagedKey(string KeyId, string Algorithm, byte[] SubjectPublicKeyInfo, DateTimeOffset CreatedAt, BundleSigner Signer)
{
    public string PublicKeyPem => Pem.Encode(Pem.PublicKeyLabel, SubjectPublicKeyInfo);
}

/// <summary>
/// The managed signing keys, newest active: in <c>&lt;DataDirectory&gt;/keys/signing/</c> (one cosign-format encrypted file
/// per key) on the SQLite ledger, in the shared database on PostgreSQL (<see cref="ManagedKeyStorage"/>), where a key
/// rotated through any replica is loaded by every other within seconds (<see cref="ReloadAsync"/>). Creation and
/// rotation are ledger entries, written before the key can sign anything.
/// </summary>
public sealed class ManagedKeyRing(AuditLedger ledger, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _rotating = new(1, 1);
    private IReadOnlyList<ManagedKey> _keys = [];
    private ManagedKeyStorage _storage = null!;
    private string _algorithm = SigningOptions.EcdsaP256;

    /// <summary>Newest first; the first is the active key.</summary>
    public IReadOnlyList<ManagedKey> Keys
    {
        get
        {
            lock (_lock) return _keys;
        }
    }

    public ManagedKey Active => Keys is [var first, ..] ? first : throw new InvalidOperationException("no managed signing key is loaded");

    /// <summary>Loads every key; creates the first one when there is none.</summary>
    public async Task InitializeAsync(ManagedKeyStorage storage, string algorithm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
        _algorithm = algorithm;
        await ReloadAsync(cancellationToken).ConfigureAwait(false);
        if (Keys.Count == 0)
        {
            await CreateAsync(LedgerEntryKinds.KeyCreated, null, first: true, cancellationToken).ConfigureAwait(false);
            // Another replica may have created the first key at the same moment: use whichever was stored.
            await ReloadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the keys again (another replica rotated); keys already loaded are kept as they are.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var stored = await _storage.LoadAsync(cancellationToken).ConfigureAwait(false);
        var known = Keys.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        var keys = new List<ManagedKey>(stored.Count);
        foreach (var (created, pkcs8) in stored)
        {
            try
            {
                var key = FromPkcs8(pkcs8, created);
                keys.Add(known.TryGetValue(key.KeyId, out var loaded) ? loaded : key);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }
        keys = [.. keys.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.KeyId, StringComparer.Ordinal)];
        lock (_lock) _keys = keys;
    }

    /// <summary>Creates a new active key; the previous one is kept (retired) so its signatures still verify.</summary>
    public async Task<ManagedKey> RotateAsync(string by, CancellationToken cancellationToken)
    {
        // One rotation at a time in this process: each names the key it retires.
        await _rotating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CreateAsync(LedgerEntryKinds.KeyRotated, by, first: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _rotating.Release();
        }
    }

    private async Task<ManagedKey> CreateAsync(string kind, string? by, bool first, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        byte[] pkcs8;
        if (_algorithm == SigningOptions.Ed25519)
        {
            var seed = Ed25519.GenerateSeed();
            pkcs8 = Ed25519Pkcs8(seed);
            CryptographicOperations.ZeroMemory(seed);
        }
        else
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        }
        var key = FromPkcs8(pkcs8, now);
        var previous = Keys.FirstOrDefault();

        // Recorded before the key can sign anything: no signature exists by a key the ledger does not know.
        var details = new JsonObject { ["keyId"] = key.KeyId, ["algorithm"] = key.Algorithm, ["publicKey"] = key.PublicKeyPem };
        if (previous is not null) details["previousKeyId"] = previous.KeyId;
        if (by is not null) details["by"] = by;
        await ledger.AppendAsync(new LedgerEntry
        {
            Kind = kind,
            Details = LedgerEntry.DetailsFrom(details),
        }, cancellationToken).ConfigureAwait(false);

        try
        {
            await _storage.SaveAsync(now, key.KeyId, pkcs8, first, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
        lock (_lock) _keys = [key, .. _keys.Where(k => k.KeyId != key.KeyId)];
        return key;
    }

    private static ManagedKey FromPkcs8(byte[] pkcs8, DateTimeOffset created)
    {
        if (TryEd25519Seed(pkcs8, out var seed))
        {
            var edSpki = BundleSigner.ForEd25519(seed).SubjectPublicKeyInfo;
            return new ManagedKey(KeyIdOf(edSpki), SigningOptions.Ed25519, edSpki, created, BundleSigner.ForEd25519(seed, KeyIdOf(edSpki)));
        }
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        var spki = ecdsa.ExportSubjectPublicKeyInfo();
        return new ManagedKey(KeyIdOf(spki), SigningOptions.EcdsaP256, spki, created, BundleSigner.ForEcdsa(ecdsa, KeyIdOf(spki)));
    }

    /// <summary>Hex SHA-256 of the SubjectPublicKeyInfo: the bundle's key hint and the key's name everywhere.</summary>
    public static string KeyIdOf(byte[] subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    // RFC 8410 PKCS#8 for Ed25519: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }.
    private static readonly byte[] Ed25519Pkcs8Prefix = Convert.FromHexString("302e020100300506032b657004220420");

    private static byte[] Ed25519Pkcs8(byte[] seed) => [.. Ed25519Pkcs8Prefix, .. seed];

    private static bool TryEd25519Seed(byte[] pkcs8, out byte[] seed)
    {
        seed = [];
        if (pkcs8.Length != Ed25519Pkcs8Prefix.Length + Ed25519.SeedSize || !pkcs8.AsSpan(0, Ed25519Pkcs8Prefix.Length).SequenceEqual(Ed25519Pkcs8Prefix)) return false;
        seed = pkcs8[Ed25519Pkcs8Prefix.Length..];
        return true;
    }
}
