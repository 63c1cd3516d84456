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
/// certificates embed, and the RFC 3161 timestamp authority. Generated material lives in
/// <c>&lt;DataDirectory&gt;/keys/keyless/</c>: keys owner-only like the ledger key, certificates beside them.
/// </summary>
public sealed class KeylessAuthorities(IOptions<KeylessOptions> options, TimeProvider time) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public CertificateAuthority Ca { get; private set; } = null!;

    public TimestampAuthority Tsa { get; private set; } = null!;

    public CertificateTransparencyLogSigner CtLog { get; private set; } = null!;

    /// <summary>When the CT log key was created: its validity in the trusted root starts there.</summary>
    public DateTimeOffset CtLogStart { get; private set; }

    public void Initialize(string dataDirectory)
    {
        var directory = Path.Combine(dataDirectory, "keys", "keyless");
        var now = time.GetUtcNow();
        var settings = options.Value;

        var (ctKey, _) = Key(Path.Combine(directory, "ctlog-key.pem"));
        CtLog = new CertificateTransparencyLogSigner(ctKey, time);

        var (caChain, caKey) = settings.Ca.CertificateChainFile is { } caFile
            ? Configured("Ca", caFile, settings.Ca.KeyFile!)
            : Generated(directory, "ca", "attest keyless CA", now, (root, rootKey, key, notBefore) =>
                AuthorityCertificates.CreateIntermediate(root, rootKey, key, "CN=attest keyless intermediate, O=attest", notBefore, notBefore.AddYears(10)));
        Ca = new CertificateAuthority(caChain, caKey, CtLog, time, settings.CertificateLifetime);
        // Every SCT is for a certificate of this CA, so the CT log's validity starts with the issuing certificate's.
        CtLogStart = caChain[0].NotBefore;

        var (tsaChain, tsaKey) = settings.Tsa.CertificateChainFile is { } tsaFile
            ? Configured("Tsa", tsaFile, settings.Tsa.KeyFile!)
            : Generated(directory, "tsa", "attest timestamp authority", now, (root, rootKey, key, notBefore) =>
                AuthorityCertificates.CreateTimestamping(root, rootKey, key, "CN=attest timestamping, O=attest", notBefore, notBefore.AddYears(10)));
        try
        {
            Tsa = new TimestampAuthority(tsaChain, tsaKey, time);
        }
        catch (ArgumentException e)
        {
            throw new StartupException($"the timestamp authority cannot be used: {e.Message}", e);
        }
    }

    private (ECDsa Key, bool Created) Key(string path)
    {
        var (key, created) = SigningKeyStore.LoadOrCreate(path);
        _owned.Add(key);
        return (key, created);
    }

    /// <summary>A root (kept only for signing its one subordinate) and the subordinate that does the work, made once.</summary>
    private (IReadOnlyList<X509Certificate2>, ECDsa) Generated(string directory, string name, string rootName, DateTimeOffset now,
        Func<X509Certificate2, ECDsa, ECDsa, DateTimeOffset, X509Certificate2> createSubordinate)
    {
        var (rootKey, _) = Key(Path.Combine(directory, $"{name}-root-key.pem"));
        var (key, _) = Key(Path.Combine(directory, $"{name}-key.pem"));
        var chainFile = Path.Combine(directory, $"{name}-chain.pem");
        if (File.Exists(chainFile)) return ReadChain(chainFile, key, name);
        var notBefore = now.AddMinutes(-5);
        using var root = AuthorityCertificates.CreateRoot(rootKey, $"CN={rootName}, O=attest", notBefore, notBefore.AddYears(20));
        var subordinate = createSubordinate(root, rootKey, key, notBefore);
        var rootCopy = X509CertificateLoader.LoadCertificate(root.RawData);
        var temporary = chainFile + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, subordinate.ExportCertificatePem() + "\n" + rootCopy.ExportCertificatePem() + "\n");
        File.Move(temporary, chainFile, overwrite: false);
        return ([subordinate, rootCopy], key);
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
        return ReadChain(chainFile, key, $"Attest:Keyless:{name}:CertificateChainFile");
    }

    private static (IReadOnlyList<X509Certificate2>, ECDsa) ReadChain(string chainFile, ECDsa key, string what)
    {
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(chainFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new StartupException($"{what} {chainFile} cannot be read: {e.Message}", e);
        }
        if (chain.Count == 0) throw new StartupException($"{what} {chainFile} holds no certificate");
        if (!chain[0].PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new StartupException($"{what} {chainFile}: the first certificate is not the key's");
        return ([.. chain], key);
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
    }
}
