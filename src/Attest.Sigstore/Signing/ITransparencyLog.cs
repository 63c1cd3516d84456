using Attest.Sigstore.Bundles;

namespace Attest.Sigstore.Signing;

/// <summary>
/// A Rekor-v1-style transparency log as the bundle builder needs it. Implementations MUST integrate the body before
/// returning, MUST return a signed entry timestamp over the RFC 8785 JSON of {body, integratedTime, logID, logIndex}
/// and an RFC 6962 inclusion proof whose checkpoint is signed by the log key, and MUST NOT reorder or drop entries.
/// </summary>
public interface ITransparencyLog
{
    /// <summary>Appends a canonicalized Rekor entry body (its <c>kind</c> and <c>apiVersion</c> name the entry type) and returns the entry as a bundle carries it.</summary>
    Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, CancellationToken cancellationToken = default);

    /// <summary>Appends an entry given both as the log stores it and as a Rekor v1 client proposes it (a <c>dsse</c>
    /// proposal carries the envelope, of which the stored body keeps only hashes). A log held here needs only the body;
    /// a remote Rekor needs the proposal.</summary>
    Task<TransparencyLogEntry> AppendAsync(ReadOnlyMemory<byte> canonicalizedBody, ReadOnlyMemory<byte> proposedEntry, CancellationToken cancellationToken = default) =>
        AppendAsync(canonicalizedBody, cancellationToken);
}
