using System.Globalization;
using BenchmarkDotNet.Running;

// "verify-throughput MANIFEST [SECONDS]" mirrors the sigstore-js peer's bench-verify.cjs (bench/verify-vs-sigstore-js.sh);
// "ledger-replicas CONNECTION [SECONDS] [REPLICAS] [WRITERS]": appends/s of replicas sharing one PostgreSQL ledger;
// anything else goes to BenchmarkDotNet.
if (args.Length >= 2 && args[0] == "verify-throughput")
    return Attest.Benchmarks.VerifyThroughput.Run(args[1], args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5);
// "signed-image REGISTRY REPOSITORY DIRECTORY [TRIVY_REPORT]": bench/webhook/run.sh's cold signed-image cases.
if (args.Length is 4 or 5 && args[0] == "signed-image")
    return await Attest.Benchmarks.SignedImage.RunAsync(args[1], args[2], args[3], args.Length > 4 ? args[4] : null);
if (args.Length >= 2 && args[0] == "ledger-replicas")
{
    static int[] List(string text) => [.. text.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
    return await Attest.Benchmarks.ReplicaAppendThroughput.RunAsync(args[1], args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 10,
        List(args.Length > 3 ? args[3] : "1,2,3"), List(args.Length > 4 ? args[4] : "8,64"));
}
// "keyless-issuer DIR" and "keyless-load URL TOKEN_FILE [CLIENTS] [SECONDS] [WARMUP_SECONDS] [SERVER_PID]": bench/keyless/run.sh.
if (args.Length >= 2 && args[0] == "keyless-issuer")
    return Attest.Benchmarks.KeylessLoad.WriteIssuer(args[1]);
if (args.Length >= 3 && args[0] == "keyless-load")
    return Attest.Benchmarks.KeylessLoad.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 16,
        args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 20,
        args.Length > 5 ? double.Parse(args[5], CultureInfo.InvariantCulture) : 0,
        args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : null);
BenchmarkSwitcher.FromAssembly(typeof(Attest.Benchmarks.DigestBenchmarks).Assembly).Run(args);
return 0;
