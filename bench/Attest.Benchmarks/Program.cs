using System.Globalization;
using BenchmarkDotNet.Running;

// "verify-throughput MANIFEST [SECONDS]" mirrors the sigstore-js peer's bench-verify.cjs (bench/verify-vs-sigstore-js.sh);
// anything else goes to BenchmarkDotNet.
if (args.Length == 4 && args[0] == "webhook-fixture")
    return await Attest.Benchmarks.WebhookFixture.RunAsync(args[1], args[2], args[3]);
if (args.Length >= 2 && args[0] == "verify-throughput")
    return Attest.Benchmarks.VerifyThroughput.Run(args[1], args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5);
BenchmarkSwitcher.FromAssembly(typeof(Attest.Benchmarks.DigestBenchmarks).Assembly).Run(args);
return 0;
