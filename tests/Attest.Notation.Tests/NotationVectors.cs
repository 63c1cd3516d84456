using Attest.Notation.Trust;
using Attest.Testing;

namespace Attest.Notation.Tests;

/// <summary>The Notary Project vectors copied under tests/vectors/notation (see its PROVENANCE.md).</summary>
internal static class NotationVectors
{
    public static string Path(params string[] parts) => RepositoryPaths.Vectors(["notation", .. parts]);

    public static byte[] Read(params string[] parts) => File.ReadAllBytes(Path(parts));

    public static string NotationGo(params string[] parts) => Path(["notation-go", .. parts]);

    /// <summary>A trust store from notation-go's directories, e.g. ("ca", "valid-trust-store").</summary>
    public static TrustStore Store(params (TrustStoreType Type, string Directory)[] stores)
    {
        var store = new TrustStore();
        foreach (var (type, directory) in stores)
        {
            var kind = type switch { TrustStoreType.CertificateAuthority => "ca", TrustStoreType.SigningAuthority => "signingAuthority", _ => "tsa" };
            // notation-go's signingAuthority store holds the same files as its ca store of that name.
            var path = NotationGo("verifier", "testdata", "truststore", "x509", kind == "signingAuthority" ? "ca" : kind, directory);
            foreach (var file in Directory.GetFiles(path))
                foreach (var certificate in TrustStore.ReadCertificates(File.ReadAllBytes(file), out var problem))
                {
                    Assert.Null(problem);
                    store.Add(type, certificate);
                }
        }
        return store;
    }

    public static IReadOnlyList<TrustedIdentity> AnyIdentity { get; } = [Identity("*")];

    public static TrustedIdentity Identity(string text)
    {
        Assert.True(TrustedIdentity.TryParse(text, out var identity, out var error), error);
        return identity;
    }
}
