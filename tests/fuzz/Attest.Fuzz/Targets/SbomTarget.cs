using Attest.Core;
using Attest.Policy;
using Attest.Sbom.Checks;
using Attest.Sbom.Reading;
using Attest.Server.Checks;

namespace Attest.Fuzz.Targets;

/// <summary>
/// An SBOM as <c>POST /v1/sbom/evaluate</c> and attestation policies read it: <see cref="SbomReader.Read(ReadOnlyMemory{byte}, Sbom.SbomLimits?)"/>
/// with the server's limits (SPDX 2.x, SPDX 3, CycloneDX, bare or wrapped in an in-toto statement or a cosign
/// predicate), then <see cref="SbomChecker.Check"/> against a policy with licence lists, denied and required
/// components (purls with version ranges), NTIA minimum elements and a subject binding. Problems are findings.
/// </summary>
internal static class SbomTarget
{
    private static readonly SbomPolicy Policy = LoadPolicy();
    private static readonly SbomChecker Checker = new(new FixedTime(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)));
    private static readonly Digest Subject = Digest.Sha256("subject"u8.ToArray());

    public static void Run(byte[] input)
    {
        var read = SbomReader.Read(input, CheckLimits.Sbom);
        Checker.Check(read, Policy, Subject);
        if (read.Document is { } document) SbomChecker.CheckNtia(document);
    }

    private static SbomPolicy LoadPolicy()
    {
        var directory = Directory.CreateTempSubdirectory("attest-fuzz-sbom-policy-");
        try
        {
            File.WriteAllBytes(Path.Combine(directory.FullName, "policies.yaml"), Fixtures.Bytes("sbom-policy.yaml"));
            var (set, errors) = PolicyDirectoryLoader.Load(directory.FullName);
            return set?.SbomPolicies.Single() ?? throw new InvalidOperationException("the SBOM fixture policy does not load: " + string.Join("; ", errors));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
