using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Attest.Benchmarks.DigestBenchmarks).Assembly).Run(args);
