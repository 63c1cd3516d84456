using Attest.Oci;

namespace Attest.Server.Audit;

/// <summary>
/// The auditors' image filter, in the canonical form entries are recorded in: <c>app</c>,
/// <c>docker.io/library/app</c> and <c>index.docker.io/library/app:latest</c> name the same image. A bare repository
/// finds every entry of it (signatures record the repository, admission decisions the reference as written, with tag
/// or digest); a reference with a digest finds the entries of that repository with that digest, whatever tag they were
/// admitted under; a reference with a tag finds that reference. Text that is no image reference is matched as it is.
/// </summary>
internal static class ImageSearch
{
    public static (string? Image, string? Repository, string? Digest) Parse(string? text)
    {
        if (text is null) return (null, null, null);
        if (!ImageReference.TryParse(text, out var reference, out _)) return (text, null, null);
        if (reference.Digest is { } digest) return (null, reference.Name, digest.ToString());
        // "app" alone is the repository (every tag of it), not the app:latest the parser reads it as.
        return HasTag(text) ? (reference.ToString(), null, null) : (null, reference.Name, null);
    }

    /// <summary>Whether the reference as written names a tag: a colon after the last slash (a registry's port comes before it).</summary>
    private static bool HasTag(string text) => text.LastIndexOf(':') > text.LastIndexOf('/');
}
