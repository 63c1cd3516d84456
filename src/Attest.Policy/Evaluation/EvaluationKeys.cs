using Attest.Core;
using Attest.Oci;

namespace Attest.Policy.Evaluation;

/// <summary>
/// What collected evidence depends on: the policy revision (which includes the trust material, and decides what is
/// collected), the canonical repository (one digest pushed to two repositories carries different signatures), the
/// digest, and the identity of the credentials it was fetched with (what one workload's pull secret may read, another
/// may not).
/// </summary>
public readonly record struct EvidenceKey(string Revision, string Repository, Digest Digest, string Credential)
{
    /// <summary>The key for <paramref name="image"/> pinned to <paramref name="digest"/>, fetched with
    /// <paramref name="credentials"/> (null, or none for this registry: the configured ones, one identity).</summary>
    public static EvidenceKey For(string revision, ImageReference image, Digest digest, IRegistryCredentialProvider? credentials) =>
        new(revision, image.Name, digest, credentials?.GetCredential(image.Registry)?.Fingerprint ?? "configured");
}

/// <summary>What a verdict depends on: its evidence and the policy that judged it.</summary>
public readonly record struct VerdictKey(EvidenceKey Evidence, string Policy);
