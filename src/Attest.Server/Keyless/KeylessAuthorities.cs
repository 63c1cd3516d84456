using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Attest.Server.Hosting;
using Attest.Server.Identity;
using Attest.Sigstore.Keyless;
using Attest.Sigstore.Signing;
using Microsoft.Extensions.Options;

namespace Attest.Server.Keyless;

/// <summary>
/// Attest's private Sigstore authorities, loaded at start-up: the CA that issues keyless signing certificates (an
/// operator's chain and key, or a root and intermediate generated on first start), the CT log key whose SCTs those
/// certificates embed, and the RFC 3161 timestamp authority. Generated material lives where <see cref="KeylessMaterial"/>
/// says: <c>&lt;DataDirectory&gt;/keys/keyless/</c> (keys owner-only like the ledger key, certificates beside them), or
/// the shared database of a PostgreSQL ledger.
/// </summary>
public sealed class KeylessAuthorities(IOptions<KeylessOptions> options, TimeProvider time) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public CertificateAuthority Ca { get; private set; } = null!;

    public TimestampAuthority Tsa { get; private set; } = null!;

    public CertificateTransparencyLogSigner CtLog { get; private set; } = null!;

    /// <summary>When the CT log key was created: its validity in the trusted root starts there.</summary>
    public DateTimeOffset CtLogStart { get; private set; }

    /// <summary>Loads the configured authorities and loads (or on first start generates) the rest in <paramref name="material"/>.</summary>
    public async Task InitializeAsync(KeylessMaterial material, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(material);
        var now = time.GetUtcNow();
        var settings = options.Value;

        CtLog = new CertificateTransparencyLogSigner(await KeyAsync(material, "ctlog-key.pem", cancellationToken).ConfigureAwait(false), time);

        var (caChain, caKey) = settings.Ca.CertificateChainFile is { } caFile
            ? Configured("Ca", caFile, settings.Ca.KeyFile!)
            : await GeneratedAsync(material, "ca", "attest keyless CA", now, (root, rootKey, key, notBefore) =>
                AuthorityCertificates.CreateIntermediate(root, rootKey, key, "CN=attest keyless intermediate, O=attest", notBefore, notBefore.AddYears(10)),
                cancellationToken).ConfigureAwait(false);
        Ca = new CertificateAuthority(caChain, caKey, CtLog, time, settings.CertificateLifetime);
        // Every SCT is for a certificate of this CA, so the CT log's validity starts with the issuing certificate's.
        CtLogStart = caChain[0].NotBefore;

        var (tsaChain, tsaKey) = settings.Tsa.CertificateChainFile is { } tsaFile
            ? Configured("Tsa", tsaFile, settings.Tsa.KeyFile!)
            : await GeneratedAsync(material, "tsa", "attest timestamp authority", now, (root, rootKey, key, notBefore) =>
                AuthorityCertificates.CreateTimestamping(root, rootKey, key, "CN=attest timestamping, O=attest", notBefore, notBefore.AddYears(10)),
                cancellationToken).ConfigureAwait(false);
        try
        {
            Tsa = new TimestampAuthority(tsaChain, tsaKey, time);
        }
        catch (ArgumentException e)
        {
            throw new StartupException($"the timestamp authority cannot be used: {e.Message}", e);
        }
    }

    private async Task<ECDsa> KeyAsync(KeylessMaterial material, string name, CancellationToken cancellationToken)
    {
        var key = await material.KeyAsync(name, cancellationToken).ConfigureAwait(false);
        _owned.Add(key);
        return key;
    }

    /// <summary>A root (kept only for signing its one subordinate) and the subordinate that does the work, made once.</summary>
    private async Task<(IReadOnlyList<X509Certificate2>, ECDsa)> GeneratedAsync(KeylessMaterial material, string name, string rootName, DateTimeOffset now,
        Func<X509Certificate2, ECDsa, ECDsa, DateTimeOffset, X509Certificate2> createSubordinate, CancellationToken cancellationToken)
    {
        var rootKey = await KeyAsync(material, $"{name}-root-key.pem", cancellationToken).ConfigureAwait(false);
        var key = await KeyAsync(material, $"{name}-key.pem", cancellationToken).ConfigureAwait(false);
        var chain = await material.ChainAsync($"{name}-chain.pem", () =>
        {
            var notBefore = now.AddMinutes(-5);
            using var root = AuthorityCertificates.CreateRoot(rootKey, $"CN={rootName}, O=attest", notBefore, notBefore.AddYears(20));
            using var subordinate = createSubordinate(root, rootKey, key, notBefore);
            return subordinate.ExportCertificatePem() + "\n" + root.ExportCertificatePem() + "\n";
        }, cancellationToken).ConfigureAwait(false);
        return ReadChain(chain, key, $"the {name} chain in {material.Location}");
    }

    private (IReadOnlyList<X509Certificate2>, ECDsa) Configured(string name, string chainFile, string keyFile)
    {
        ECDsa key;
        try
        {
            key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyFile));
            _owned.Add(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            throw new StartupException($"Attest:Keyless:{name}:KeyFile {keyFile} is not a readable PEM ECDSA private key: {e.Message}", e);
        }
        var what = $"Attest:Keyless:{name}:CertificateChainFile {chainFile}";
        try
        {
            return ReadChain(File.ReadAllText(chainFile), key, what);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{what} cannot be read: {e.Message}", e);
        }
    }

    private static (IReadOnlyList<X509Certificate2>, ECDsa) ReadChain(string pem, ECDsa key, string what)
    {
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new StartupException($"{what} cannot be read: {e.Message}", e);
        }
        if (chain.Count == 0) throw new StartupException($"{what} holds no certificate");
        if (!chain[0].PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new StartupException($"{what}: the first certificate is not the key's");
        return ([.. chain], key);
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
    }
}
