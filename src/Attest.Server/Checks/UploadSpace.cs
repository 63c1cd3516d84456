namespace Attest.Server.Checks;

/// <summary>
/// The scratch disk that the check endpoints' uploads in flight may fill together (<c>Attest:Checks:UploadSpaceBytes</c>).
/// Each request is bounded on its own (<see cref="CheckLimits"/>); this bounds how many may buffer at once, so a burst
/// of concurrent uploads meets 503 with Retry-After instead of a full disk. Reserved chunk by chunk as bytes arrive,
/// released when the request's scratch directory is deleted.
/// </summary>
public sealed class UploadSpace(long capacityBytes)
{
    private long _used;

    public long CapacityBytes => capacityBytes;

    /// <summary>Bytes reserved now (for metrics).</summary>
    public long UsedBytes => Interlocked.Read(ref _used);

    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) <= capacityBytes) return true;
        Interlocked.Add(ref _used, -bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
