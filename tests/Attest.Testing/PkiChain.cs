using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Attest.Testing;

/// <summary>A certificate and its private key, as files and as loaded objects.</summary>
public sealed record PkiCertificate(X509Certificate2 Certificate, AsymmetricAlgorithm Key, string CertificateFile, string KeyFile);

/// <summary>What the leaf of a test chain is for and how it is shaped (the defaults give a valid Notary code signing chain).</summary>
public sealed record PkiOptions
{
    /// <summary><c>ec:P-256</c>, <c>ec:P-384</c>, <c>rsa:2048</c>, <c>rsa:3072</c> …</summary>
    public string KeyType { get; init; } = "ec:P-256";

    public string LeafSubject { get; init; } = "/C=US/ST=WA/L=Seattle/O=Attest Test/CN=release signer";

    public DateTimeOffset LeafNotBefore { get; init; } = DateTimeOffset.UtcNow.AddDays(-1);

    public DateTimeOffset LeafNotAfter { get; init; } = DateTimeOffset.UtcNow.AddDays(365);

    /// <summary>openssl extension lines of the leaf (default: a code signing leaf as the Notary specification requires).</summary>
    public string LeafExtensions { get; init; } = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning";

    /// <summary>With an intermediate CA between root and leaf.</summary>
    public bool Intermediate { get; init; } = true;

    public string RootSubject { get; init; } = "/C=US/ST=WA/O=Attest Test/CN=Attest Test Root";
}

/// <summary>Chains made by the openssl command-line tool (<c>openssl ca</c>, for arbitrary validity periods), so the
/// certificates Attest verifies in tests come from an independent implementation, not from the code under test.</summary>
public sealed record PkiChain(PkiCertificate Root, PkiCertificate? Intermediate, PkiCertificate Leaf)
{
    /// <summary>Leaf first, root last: the order a Notary envelope carries.</summary>
    public IReadOnlyList<X509Certificate2> Certificates =>
        Intermediate is null ? [Leaf.Certificate, Root.Certificate] : [Leaf.Certificate, Intermediate.Certificate, Root.Certificate];

    public static async Task<PkiChain> CreateAsync(string directory, PkiOptions? options = null)
    {
        options ??= new PkiOptions();
        var openssl = Prerequisites.Executable("openssl", "openssl");
        Directory.CreateDirectory(directory);
        var pki = new OpensslCa(openssl, directory);
        await pki.InitAsync().ConfigureAwait(false);
        var root = await pki.IssueAsync("root", options.RootSubject, options.KeyType, null, "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign",
            DateTimeOffset.UtcNow.AddYears(-10), DateTimeOffset.UtcNow.AddYears(20)).ConfigureAwait(false);
        PkiCertificate? intermediate = null;
        if (options.Intermediate)
        {
            intermediate = await pki.IssueAsync("intermediate", "/C=US/ST=WA/O=Attest Test/CN=Attest Test Signing CA", options.KeyType, root,
                "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign", DateTimeOffset.UtcNow.AddYears(-9), DateTimeOffset.UtcNow.AddYears(19)).ConfigureAwait(false);
        }
        var leaf = await pki.IssueAsync("leaf", options.LeafSubject, options.KeyType, intermediate ?? root, options.LeafExtensions,
            options.LeafNotBefore, options.LeafNotAfter).ConfigureAwait(false);
        return new PkiChain(root, intermediate, leaf);
    }

    /// <summary>An RFC 3161 TimeStampToken over <paramref name="data"/> from a TSA certificate of this chain's root, made by
    /// <c>openssl ts -reply</c> (ESS signing-certificate-v2, SHA-256), as a timestamp authority would return it.</summary>
    public static async Task<byte[]> TimestampAsync(string directory, PkiCertificate tsa, PkiCertificate tsaIssuer, byte[] data)
    {
        var openssl = Prerequisites.Executable("openssl", "openssl");
        var work = Path.Combine(directory, "ts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var dataFile = Path.Combine(work, "data.bin");
        await File.WriteAllBytesAsync(dataFile, data).ConfigureAwait(false);
        var chainFile = Path.Combine(work, "chain.pem");
        await File.WriteAllTextAsync(chainFile, tsaIssuer.Certificate.ExportCertificatePem() + "\n").ConfigureAwait(false);
        var config = Path.Combine(work, "ts.cnf");
        await File.WriteAllTextAsync(config, $"""
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            serial = {work}/tsaserial
            signer_digest = sha256
            default_policy = 1.2.3.4.1
            digests = sha256, sha384, sha512
            accuracy = secs:1
            ess_cert_id_alg = sha256
            ess_cert_id_chain = no
            ordering = no
            tsa_name = no
            """).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(work, "tsaserial"), "01\n").ConfigureAwait(false);
        var query = Path.Combine(work, "req.tsq");
        await RigProcess.RunAsync(openssl, ["ts", "-query", "-data", dataFile, "-sha256", "-cert", "-out", query]).ConfigureAwait(false);
        var token = Path.Combine(work, "token.der");
        await RigProcess.RunAsync(openssl, ["ts", "-reply", "-config", config, "-queryfile", query, "-signer", tsa.CertificateFile,
            "-inkey", tsa.KeyFile, "-chain", chainFile, "-token_out", "-out", token]).ConfigureAwait(false);
        return await File.ReadAllBytesAsync(token).ConfigureAwait(false);
    }

    /// <summary>A timestamping leaf (critical EKU timeStamping only) under <paramref name="issuer"/>.</summary>
    public static async Task<PkiCertificate> IssueTsaAsync(string directory, PkiCertificate issuer)
    {
        var pki = new OpensslCa(Prerequisites.Executable("openssl", "openssl"), directory);
        await pki.InitAsync().ConfigureAwait(false);
        return await pki.IssueAsync("tsa", "/C=US/ST=WA/O=Attest Test/CN=Attest Test TSA", "rsa:2048", issuer,
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping",
            DateTimeOffset.UtcNow.AddYears(-5), DateTimeOffset.UtcNow.AddYears(5)).ConfigureAwait(false);
    }

    private sealed class OpensslCa(string openssl, string directory)
    {
        private readonly string _config = Path.Combine(directory, "ca.cnf");

        public async Task InitAsync()
        {
            Directory.CreateDirectory(Path.Combine(directory, "newcerts"));
            if (!File.Exists(Path.Combine(directory, "index.txt"))) await File.WriteAllTextAsync(Path.Combine(directory, "index.txt"), "").ConfigureAwait(false);
            if (!File.Exists(Path.Combine(directory, "serial"))) await File.WriteAllTextAsync(Path.Combine(directory, "serial"), "1000\n").ConfigureAwait(false);
            await File.WriteAllTextAsync(_config, $"""
                [ ca ]
                default_ca = ca_default
                [ ca_default ]
                dir = {directory}
                database = $dir/index.txt
                new_certs_dir = $dir/newcerts
                serial = $dir/serial
                default_md = sha256
                policy = policy_any
                unique_subject = no
                copy_extensions = none
                email_in_dn = no
                [ policy_any ]
                countryName = optional
                stateOrProvinceName = optional
                localityName = optional
                organizationName = optional
                organizationalUnitName = optional
                commonName = optional
                [ req ]
                distinguished_name = req_dn
                [ req_dn ]
                """).ConfigureAwait(false);
        }

        public async Task<PkiCertificate> IssueAsync(string name, string subject, string keyType, PkiCertificate? issuer, string extensions, DateTimeOffset notBefore, DateTimeOffset notAfter)
        {
            var keyFile = Path.Combine(directory, name + ".key");
            var csrFile = Path.Combine(directory, name + ".csr");
            var certificateFile = Path.Combine(directory, name + ".crt");
            var extensionFile = Path.Combine(directory, name + ".ext");
            await File.WriteAllTextAsync(extensionFile, "[ v3 ]\n" + extensions + "\n").ConfigureAwait(false);
            var kind = keyType.Split(':');
            string[] genpkey = kind[0] == "rsa"
                ? ["genpkey", "-algorithm", "RSA", "-pkeyopt", $"rsa_keygen_bits:{kind[1]}", "-out", keyFile]
                : ["genpkey", "-algorithm", "EC", "-pkeyopt", $"ec_paramgen_curve:{kind[1]}", "-out", keyFile];
            await RigProcess.RunAsync(openssl, genpkey).ConfigureAwait(false);
            await RigProcess.RunAsync(openssl, ["req", "-new", "-key", keyFile, "-subj", subject, "-out", csrFile, "-config", _config]).ConfigureAwait(false);
            List<string> ca = ["ca", "-batch", "-config", _config, "-notext", "-in", csrFile, "-out", certificateFile,
                "-startdate", Time(notBefore), "-enddate", Time(notAfter), "-extfile", extensionFile, "-extensions", "v3"];
            if (issuer is null) ca.AddRange(["-selfsign", "-keyfile", keyFile]);
            else ca.AddRange(["-cert", issuer.CertificateFile, "-keyfile", issuer.KeyFile]);
            await RigProcess.RunAsync(openssl, ca).ConfigureAwait(false);
            var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certificateFile).ConfigureAwait(false));
            var pem = await File.ReadAllTextAsync(keyFile).ConfigureAwait(false);
            AsymmetricAlgorithm key;
            if (kind[0] == "rsa")
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                key = rsa;
            }
            else
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                key = ec;
            }
            return new PkiCertificate(X509CertificateLoader.LoadCertificate(certificate.RawData), key, certificateFile, keyFile);
        }

        private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMddHHmmss'Z'", CultureInfo.InvariantCulture);
    }
}
