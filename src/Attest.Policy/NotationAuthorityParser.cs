using System.Security.Cryptography;
using Attest.Core.IO;
using Attest.Notation.Trust;
using Attest.Notation.Verification;
using Attest.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>
/// <c>notation:</c> authorities, mapped from the Notary Project trust policy: <c>trustStore</c> (certificate files or
/// directories beside the policies: a list for the <c>ca</c> store, or a mapping with <c>ca</c> and
/// <c>signingAuthority</c>), <c>trustedIdentities</c> (<c>*</c> or <c>x509.subject: …</c>, not overlapping),
/// <c>verificationLevel</c> (strict, permissive, audit), <c>override</c> (authenticity, authenticTimestamp, expiry: enforce
/// or log) and <c>timestamping</c> (<c>trustStore</c> of TSA roots, <c>verify</c>: always or afterCertExpiry). Files are
/// read now (a missing or unreadable certificate fails the load) and are part of the policy revision, so that replacing
/// one takes effect at once.
/// </summary>
internal static class NotationAuthorityParser
{
    private const long MaxCertificateFileBytes = 1 << 20;
    private const int MaxFiles = 64;

    public static NotationAuthority? Parse(PolicyReader reader, YamlNode node, string name, ReferencedFiles files)
    {
        var what = $"authority '{name}' notation";
        var fields = reader.Fields(node, what, "trustStore", "trustedIdentities", "verificationLevel", "override", "timestamping");
        var store = new TrustStore();
        if (fields.Required("trustStore", what) is { } storeNode)
        {
            if (storeNode is YamlMappingNode)
            {
                var stores = reader.Fields(storeNode, $"{what}.trustStore", "ca", "signingAuthority");
                if (stores.Optional("ca") is { } ca) Load(reader, ca, TrustStoreType.CertificateAuthority, files, store, $"{what}.trustStore.ca");
                if (stores.Optional("signingAuthority") is { } sa) Load(reader, sa, TrustStoreType.SigningAuthority, files, store, $"{what}.trustStore.signingAuthority");
            }
            else
            {
                Load(reader, storeNode, TrustStoreType.CertificateAuthority, files, store, $"{what}.trustStore");
            }
            if (!store.Has(TrustStoreType.CertificateAuthority) && !store.Has(TrustStoreType.SigningAuthority) && !reader.HasErrors)
                reader.Error(storeNode, $"{what}.trustStore holds no certificate");
        }

        var identities = new List<TrustedIdentity>();
        if (fields.Required("trustedIdentities", what) is { } identitiesNode)
        {
            foreach (var text in reader.StringList(identitiesNode, $"{what}.trustedIdentities", 64))
            {
                if (!TrustedIdentity.TryParse(text, out var identity, out var error))
                {
                    reader.Error(identitiesNode, error);
                    continue;
                }
                if (identities.FirstOrDefault(i => i.Overlaps(identity)) is { } other && !(other.IsWildcard && identity.IsWildcard))
                    reader.Error(identitiesNode, $"trusted identities '{other}' and '{identity}' overlap: a certificate could match both (the Notary specification forbids it)");
                identities.Add(identity);
            }
            if (identities.Count == 0 && !reader.HasErrors) reader.Error(identitiesNode, $"{what}.trustedIdentities must list at least one identity ('*' for any)");
            if (identities.Count > 1 && identities.Any(i => i.IsWildcard)) reader.Error(identitiesNode, $"{what}.trustedIdentities: '*' must be the only identity");
        }

        var level = VerificationLevel.Strict;
        if (fields.Optional("verificationLevel") is { } levelNode && reader.String(levelNode, $"{what}.verificationLevel") is { } levelName)
        {
            if (levelName == "skip") reader.Error(levelNode, $"{what}.verificationLevel 'skip' is not offered: a policy that should not verify signatures should not list this authority");
            else if (VerificationLevel.Parse(levelName) is { } parsed) level = parsed;
            else reader.Error(levelNode, $"{what}.verificationLevel must be strict, permissive or audit, not '{levelName}'");
        }
        if (fields.Optional("override") is { } overrideNode)
        {
            var overrides = reader.Fields(overrideNode, $"{what}.override", "authenticity", "authenticTimestamp", "expiry", "revocation");
            CheckAction? Action(string key)
            {
                if (overrides.Optional(key) is not { } value || reader.String(value, $"{what}.override.{key}") is not { } text) return null;
                switch (text)
                {
                    case "enforce": return CheckAction.Enforce;
                    case "log": return CheckAction.Log;
                    default:
                        reader.Error(value, $"{what}.override.{key} must be enforce or log, not '{text}'");
                        return null;
                }
            }
            level = level with
            {
                Name = level.Name + " (overridden)",
                Authenticity = Action("authenticity") ?? level.Authenticity,
                AuthenticTimestamp = Action("authenticTimestamp") ?? level.AuthenticTimestamp,
                Expiry = Action("expiry") ?? level.Expiry,
            };
            if (overrides.Optional("revocation") is { } revocation)
                reader.Error(revocation, $"{what}.override.revocation: Attest does not check revocation online (OCSP, CRL); remove the certificate from the trust store to revoke it (see SECURITY.md)");
        }

        var timestamping = TimestampVerification.Always;
        if (fields.Optional("timestamping") is { } timestampingNode)
        {
            var ts = reader.Fields(timestampingNode, $"{what}.timestamping", "trustStore", "verify");
            if (ts.Required("trustStore", $"{what}.timestamping") is { } tsaNode)
                Load(reader, tsaNode, TrustStoreType.TimestampAuthority, files, store, $"{what}.timestamping.trustStore");
            if (ts.Optional("verify") is { } verifyNode && reader.String(verifyNode, $"{what}.timestamping.verify") is { } verify)
            {
                switch (verify)
                {
                    case "always": timestamping = TimestampVerification.Always; break;
                    case "afterCertExpiry": timestamping = TimestampVerification.AfterCertExpiry; break;
                    default: reader.Error(verifyNode, $"{what}.timestamping.verify must be always or afterCertExpiry, not '{verify}'"); break;
                }
            }
        }
        if (reader.HasErrors) return null;
        return new NotationAuthority(name, reader.Locate(node), new NotationTrustPolicy(store, identities, level, timestamping));
    }

    /// <summary>Certificate files (PEM or DER: .pem, .crt, .cer) or directories of them (not recursive; symbolic links
    /// refused, as the Notary trust store specification requires), resolved beside the policies and read through
    /// <paramref name="files"/>: each is trust material of the revision, and a directory is watched for files added.</summary>
    private static void Load(PolicyReader reader, YamlNode node, TrustStoreType type, ReferencedFiles files, TrustStore store, string what)
    {
        foreach (var entry in reader.StringList(node, what, MaxFiles))
        {
            var path = Path.GetFullPath(Path.Combine(files.PolicyDirectory, entry));
            var status = RegularFile.Status(path);
            List<string> paths;
            if (status.Kind == FileKind.Directory)
            {
                files.NameDirectory(path);
                try
                {
                    paths = Directory.EnumerateFiles(path)
                        .Where(f => f.EndsWith(".pem", StringComparison.Ordinal) || f.EndsWith(".crt", StringComparison.Ordinal) || f.EndsWith(".cer", StringComparison.Ordinal))
                        .Order(StringComparer.Ordinal).Take(MaxFiles + 1).ToList();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    reader.Error(node, $"{what}: {entry} cannot be read: {e.Message}");
                    continue;
                }
                if (paths.Count > MaxFiles)
                {
                    reader.Error(node, $"{what}: {entry} holds more than {MaxFiles} certificate files");
                    continue;
                }
                if (paths.Count == 0) reader.Error(node, $"{what}: directory {entry} holds no .pem, .crt or .cer file");
            }
            else
            {
                paths = [path];
            }
            foreach (var file in paths)
            {
                var shown = files.Display(file);
                // Never opened unless regular: a named pipe would block the load, a device stream forever.
                if (RegularFile.Status(file).Kind is not (FileKind.Regular or FileKind.Missing) and var kind)
                {
                    files.NameDirectory(Path.GetDirectoryName(file)!);
                    reader.Error(node, kind == FileKind.SymbolicLink
                        ? $"{what}: {shown} is a symbolic link, which a trust store may not hold"
                        : $"{what}: {shown} is not a regular file ({IrregularFileException.Describe(kind)})");
                    continue;
                }
                if (files.Read(reader, node, shown, $"{what}: certificate", MaxCertificateFileBytes) is not { } bytes) continue;
                var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
                var (certificates, problem) = files.Parsed(digest, () =>
                {
                    var read = TrustStore.ReadCertificates(bytes, out var why);
                    return (read, why);
                });
                if (problem is not null)
                {
                    reader.Error(node, $"{what}: {shown} is not a certificate file: {problem}");
                    continue;
                }
                try
                {
                    foreach (var certificate in certificates) store.Add(type, certificate);
                }
                catch (InvalidOperationException e)
                {
                    reader.Error(node, $"{what}: {e.Message}");
                }
            }
        }
    }
}
