using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Attest.Policy;

/// <summary>
/// Reads every <c>*.yaml</c>/<c>*.yml</c> file of a policy directory (not recursive; README and other files are
/// ignored), checks each document's identity (<c>apiVersion</c>, <c>kind</c>, <c>metadata.name</c>) and returns
/// either the whole set or every error found, each with file:line:column. The revision is a digest over the policy
/// files and every file they reference (keys, trusted roots): the same files always give the same revision, and a
/// changed key gives a new one.
/// </summary>
public static class PolicyDirectoryLoader
{
    public const string ApiVersion = "attest.dev/v1";

    public static readonly IReadOnlySet<string> KnownKinds = new HashSet<string>(StringComparer.Ordinal)
    {
        "ImagePolicy", "GoSumPolicy", "SbomPolicy", "PolicyException",
    };

    private static readonly HashSet<string> TopLevelFields = new(StringComparer.Ordinal) { "apiVersion", "kind", "metadata", "spec" };

    /// <summary>Loads the directory. Throws <see cref="PolicyDirectoryException"/> when the directory itself cannot
    /// be read; problems inside files come back as errors. <paramref name="time"/> is the clock expiries (of
    /// exceptions, of allowed vulnerabilities) are judged against at load.</summary>
    public static PolicyLoad Load(string directory, IReadOnlyDictionary<string, Sigstore.TrustRoot.TrustedRoot>? namedTrustedRoots = null,
        TimeProvider? time = null)
    {
        var fullPath = Path.GetFullPath(directory);
        if (File.Exists(fullPath))
            throw new PolicyDirectoryException($"policy directory {fullPath} is a file, not a directory");
        if (!Directory.Exists(fullPath))
            throw new PolicyDirectoryException($"policy directory {fullPath} does not exist");

        string[] files;
        try
        {
            files = Directory.EnumerateFiles(fullPath)
                .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .Take(PolicyLimits.MaxFiles + 1)
                .ToArray();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PolicyDirectoryException($"policy directory {fullPath} cannot be read: {e.Message}", e);
        }
        if (files.Length > PolicyLimits.MaxFiles)
            throw new PolicyDirectoryException($"policy directory {fullPath} has more than {PolicyLimits.MaxFiles} policy files");
        return LoadFiles(fullPath, files, namedTrustedRoots, time ?? TimeProvider.System);
    }

    /// <summary>Loads one policy file (the CLI's <c>--policy FILE</c>), or a whole directory when given one.
    /// Files it names (keys, trusted roots) resolve against the file's directory.</summary>
    public static PolicyLoad LoadFile(string path, IReadOnlyDictionary<string, Sigstore.TrustRoot.TrustedRoot>? namedTrustedRoots = null,
        TimeProvider? time = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath)) return Load(fullPath, namedTrustedRoots, time);
        if (!File.Exists(fullPath)) throw new PolicyDirectoryException($"policy file {fullPath} does not exist");
        return LoadFiles(Path.GetDirectoryName(fullPath)!, [fullPath], namedTrustedRoots, time ?? TimeProvider.System);
    }

    private static PolicyLoad LoadFiles(string fullPath, string[] files, IReadOnlyDictionary<string, Sigstore.TrustRoot.TrustedRoot>? namedTrustedRoots,
        TimeProvider time)
    {
        var errors = new List<PolicyError>();
        var documents = new List<PolicyDocument>();
        var policyFiles = new List<PolicyFile>();
        var referenced = new ReferencedFiles(fullPath);
        using var revision = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            byte[] bytes;
            try
            {
                var length = new FileInfo(file).Length;
                if (length > PolicyLimits.MaxFileBytes)
                {
                    errors.Add(new(new(name, 1, 1), $"file is {length} bytes; policy files are limited to {PolicyLimits.MaxFileBytes} bytes"));
                    continue;
                }
                bytes = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                errors.Add(new(new(name, 1, 1), $"cannot be read: {e.Message}"));
                continue;
            }
            // Name and length prefix each file so that moving bytes between files changes the revision.
            revision.AppendData(Encoding.UTF8.GetBytes($"{name}\n{bytes.Length}\n"));
            revision.AppendData(bytes);
            policyFiles.Add(new PolicyFile(name, "policy", "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes))));
            ParseFile(name, bytes, documents, errors);
        }

        var seen = new Dictionary<(string, string), PolicyDocument>();
        foreach (var document in documents)
        {
            if (seen.TryGetValue((document.Kind, document.Name), out var first))
                errors.Add(new(document.Source, $"{document.Kind} '{document.Name}' is already defined at {first.Source}"));
            else
                seen[(document.Kind, document.Name)] = document;
        }

        var now = time.GetUtcNow();
        var warnings = new List<PolicyError>();
        var imagePolicies = new List<Model.ImagePolicy>();
        foreach (var document in documents.Where(d => d.Kind == "ImagePolicy"))
            if (ImagePolicyParser.Parse(document, referenced, errors, namedTrustedRoots, now, warnings) is { } policy) imagePolicies.Add(policy);
        var goSumPolicies = new List<GoModules.GoSumPolicy>();
        foreach (var document in documents.Where(d => d.Kind == "GoSumPolicy"))
            if (GoSumPolicyParser.Parse(document, errors) is { } policy) goSumPolicies.Add(policy);

        var sbomPolicies = new List<Sbom.Checks.SbomPolicy>();
        foreach (var document in documents.Where(d => d.Kind == "SbomPolicy"))
        {
            var before = errors.Count;
            var policy = ImagePolicyParser.ParseSbomRule(new PolicyReader(document.Source.File, errors),
                document.Body.Children[new YamlDotNet.RepresentationModel.YamlScalarNode("spec")], "spec");
            if (errors.Count == before) sbomPolicies.Add(policy);
        }

        var exceptions = new List<Model.PolicyException>();
        var imagePolicyNames = documents.Where(d => d.Kind == "ImagePolicy").Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var document in documents.Where(d => d.Kind == "PolicyException"))
            if (PolicyExceptionParser.Parse(document, imagePolicyNames, now, errors, warnings) is { } exception) exceptions.Add(exception);

        // Trust material is part of what decides: each referenced file by path and content digest.
        foreach (var file in referenced.Files)
            revision.AppendData(Encoding.UTF8.GetBytes($"referenced {file.Role}\n{file.Path}\n{file.Digest}\n"));

        var named = referenced.Named;
        if (errors.Count > 0) return new PolicyLoad(null, errors, named);
        var set = new PolicySet(fullPath, "sha256:" + Convert.ToHexStringLower(revision.GetHashAndReset()), documents, imagePolicies, goSumPolicies, sbomPolicies)
        {
            Files = [.. policyFiles, .. referenced.Files],
            Exceptions = exceptions,
            Warnings = warnings,
        };
        return new PolicyLoad(set, errors, named);
    }

    private static void ParseFile(string name, byte[] bytes, List<PolicyDocument> documents, List<PolicyError> errors)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            errors.Add(new(new(name, 1, 1), "file is not valid UTF-8"));
            return;
        }

        // Aliases let a small file expand into a huge tree ("billion laughs"); policies have no need for them.
        if (FindAlias(text) is Mark alias)
        {
            errors.Add(new(Locate(name, alias), "YAML aliases (*name) are not allowed in policy files"));
            return;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            errors.Add(new(Locate(name, e.Start), $"invalid YAML: {e.Message}"));
            return;
        }
        catch (Exception e) when (IsParserFailure(e))
        {
            // YamlDotNet fails on some malformed input with a general exception and no position (found by fuzzing).
            errors.Add(new(new(name, 1, 1), $"invalid YAML: the parser could not read the file ({e.Message})"));
            return;
        }

        if (stream.Documents.Count > PolicyLimits.MaxDocumentsPerFile)
        {
            errors.Add(new(new(name, 1, 1), $"file has {stream.Documents.Count} documents; at most {PolicyLimits.MaxDocumentsPerFile} are allowed"));
            return;
        }

        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" }) continue; // empty document (a trailing ---)
            if (document.RootNode is not YamlMappingNode root)
            {
                errors.Add(new(Locate(name, document.RootNode.Start), "a policy document must be a mapping with apiVersion, kind, metadata and spec"));
                continue;
            }
            if (ReadIdentity(name, root, errors) is (string kind, string policyName))
                documents.Add(new PolicyDocument(kind, policyName, Locate(name, root.Start), root));
        }
    }

    private static (string Kind, string Name)? ReadIdentity(string file, YamlMappingNode root, List<PolicyError> errors)
    {
        var before = errors.Count;
        foreach (var key in root.Children.Keys)
        {
            if (key is YamlScalarNode { Value: { } field } && !TopLevelFields.Contains(field))
                errors.Add(new(Locate(file, key.Start), $"unknown field '{field}' (expected apiVersion, kind, metadata, spec)"));
        }

        var apiVersion = Scalar(root, "apiVersion");
        if (apiVersion is null)
            errors.Add(new(Locate(file, root.Start), $"missing apiVersion (expected {ApiVersion})"));
        else if (apiVersion.Value != ApiVersion)
            errors.Add(new(Locate(file, apiVersion.Start), $"unsupported apiVersion '{apiVersion.Value}' (expected {ApiVersion})"));

        var kind = Scalar(root, "kind");
        if (kind is null)
            errors.Add(new(Locate(file, root.Start), "missing kind"));
        else if (!KnownKinds.Contains(kind.Value ?? ""))
            errors.Add(new(Locate(file, kind.Start), $"unknown kind '{kind.Value}' (expected one of {string.Join(", ", KnownKinds.Order(StringComparer.Ordinal))})"));

        YamlScalarNode? policyName = null;
        if (!root.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadata) || metadata is not YamlMappingNode metadataMap)
            errors.Add(new(Locate(file, root.Start), "missing metadata.name"));
        else if ((policyName = Scalar(metadataMap, "name")) is null || string.IsNullOrWhiteSpace(policyName.Value))
            errors.Add(new(Locate(file, metadataMap.Start), "missing metadata.name"));

        if (!root.Children.TryGetValue(new YamlScalarNode("spec"), out var spec) || spec is not YamlMappingNode)
            errors.Add(new(Locate(file, root.Start), "missing spec (a mapping)"));

        return errors.Count == before ? (kind!.Value!, policyName!.Value!) : null;
    }

    private static YamlScalarNode? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node as YamlScalarNode : null;

    private static Mark? FindAlias(string text)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
                if (parser.Current is AnchorAlias alias) return alias.Start;
        }
        catch (Exception e) when (e is YamlException || IsParserFailure(e))
        {
            // Syntax errors are reported by the full load.
        }
        return null;
    }

    /// <summary>Exceptions other than <see cref="YamlException"/> that YamlDotNet's scanner and parser throw for
    /// malformed input: invalid input, not a failure of the server.</summary>
    private static bool IsParserFailure(Exception e) => e is InvalidOperationException or ArgumentException;

    private static SourceLocation Locate(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);
}

/// <summary>What loading a policy directory gave: the set, or every error; and the full path of every file the
/// policies named (keys, trusted roots), read or not, which a reloader watches besides the directory.</summary>
public sealed record PolicyLoad(PolicySet? Set, IReadOnlyList<PolicyError> Errors, IReadOnlyList<string> ReferencedPaths)
{
    public void Deconstruct(out PolicySet? set, out IReadOnlyList<PolicyError> errors)
    {
        set = Set;
        errors = Errors;
    }

    public static implicit operator (PolicySet? Set, IReadOnlyList<PolicyError> Errors)(PolicyLoad load) => (load.Set, load.Errors);
}

/// <summary>The policy directory as a whole cannot be used (missing, not a directory, unreadable).</summary>
public sealed class PolicyDirectoryException : Exception
{
    public PolicyDirectoryException(string message) : base(message) { }
    public PolicyDirectoryException(string message, Exception inner) : base(message, inner) { }
}
