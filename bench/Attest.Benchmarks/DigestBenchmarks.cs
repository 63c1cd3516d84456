using Attest.Core;
using BenchmarkDotNet.Attributes;

namespace Attest.Benchmarks;

/// <summary>SHA-256 throughput over a 1 MiB buffer: the floor every digest-checking path is compared with.</summary>
[MemoryDiagnoser]
public class DigestBenchmarks
{
    private readonly byte[] _data = new byte[1 << 20];

    [GlobalSetup]
    public void Setup() => new Random(42).NextBytes(_data);

    [Benchmark]
    public Digest Sha256_1MiB() => Digest.Sha256(_data);
}
