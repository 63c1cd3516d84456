namespace Attest.Oci;

public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string Empty = "application/vnd.oci.empty.v1+json";

    public const string CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string DsseEnvelope = "application/vnd.dsse.envelope.v1+json";
    public const string SigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>Everything a manifest fetch accepts. Distribution answers 404 to an OCI manifest requested without
    /// its type here (even with <c>*/*</c>), so the list is always sent in full.</summary>
    public static readonly string[] ManifestAccept = [ImageManifest, ImageIndex, DockerManifest, DockerManifestList];

    public static bool IsIndex(string? mediaType) => mediaType is ImageIndex or DockerManifestList;

}
