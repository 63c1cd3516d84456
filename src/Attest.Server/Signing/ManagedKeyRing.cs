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
/// The managed signing keys in <c>&lt;DataDirectory&gt;/keys/signing/</c>: one cosign-format encrypted key file per key
/// (<c>&lt;created&gt;-&lt;keyid&gt;.key</c>, owner-only), the newest one active. Creation and rotation are ledger entries.
/// </summary>
public sealed class ManagedKeyRing(AuditLedger ledger, TimeProvider time)
{
    private const string FileTimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _rotating = new(1, 1);
    private IReadOnlyList<ManagedKey> _keys = [];
    private string _directory = "";
    private byte[] _password = [];
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
    public async Task InitializeAsync(string directory, byte[] password, string algorithm, CancellationToken cancellationToken)
    {
        _directory = directory;
        _password = password;
        _algorithm = algorithm;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var keys = Directory.GetFiles(directory, "*.key").Order(StringComparer.Ordinal).Reverse().Select(Load).ToList();
        lock (_lock) _keys = keys;
        if (keys.Count == 0) await CreateAsync(LedgerEntryKinds.KeyCreated, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a new active key; the previous one is kept (retired) so its signatures still verify.</summary>
    public async Task<ManagedKey> RotateAsync(string by, CancellationToken cancellationToken)
    {
        // One rotation at a time: each names the key it retires, and file names must not collide.
        await _rotating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CreateAsync(LedgerEntryKinds.KeyRotated, by, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _rotating.Release();
        }
    }

    private async Task<ManagedKey> CreateAsync(string kind, string? by, CancellationToken cancellationToken)
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

        var path = Path.Combine(_directory, $"{now.UtcDateTime.ToString(FileTimeFormat, CultureInfo.InvariantCulture)}-{key.KeyId[..16]}.key");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(path, options))
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(CosignKeyFile.Encrypt(pkcs8, _password)), cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        CryptographicOperations.ZeroMemory(pkcs8);
        lock (_lock) _keys = [key, .. _keys];
        return key;
    }

    private ManagedKey Load(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        if (!DateTimeOffset.TryParseExact(name.Split('-')[0], FileTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
            throw new InvalidDataException($"managed key file {path} is not named <created>-<keyid>.key");
        if (!CosignKeyFile.TryDecrypt(File.ReadAllText(path), _password, out var pkcs8, out var error))
            throw new InvalidDataException($"managed key file {path} cannot be opened: {error}");
        try
        {
            return FromPkcs8(pkcs8, created);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
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
