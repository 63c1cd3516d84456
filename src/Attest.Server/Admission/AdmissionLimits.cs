namespace Attest.Server.Admission;

public static class AdmissionLimits
{
    /// <summary>The API server's own request limit is 3 MiB (etcd's object size); a little more for the envelope.</summary>
    public const int MaxRequestBytes = 4 << 20;

    /// <summary>Kubernetes objects are shallow; 64 levels is far beyond any real workload.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Kubernetes may truncate longer warnings; messages are kept shorter than that per image.</summary>
    public const int MaxWarningLength = 256;
}
