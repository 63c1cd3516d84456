using System.CommandLine;
using Attest.Oci;

namespace Attest.Cli;

/// <summary>
/// How the CLI reaches registries: credentials from a docker <c>config.json</c> (<c>--docker-config</c>, else
/// <c>$DOCKER_CONFIG/config.json</c> or <c>~/.docker/config.json</c> when present, as docker login writes them) and the
/// registries reached over plain HTTP (<c>--insecure-registry</c>).
/// </summary>
internal sealed record RegistryAccess(Option<string[]> Insecure, Option<FileInfo?> DockerConfig)
{
    public IEnumerable<Option> All => [Insecure, DockerConfig];

    public static RegistryAccess CreateOptions() => new(
        new Option<string[]>("--insecure-registry") { Description = "registry (host:port) reached over plain HTTP; repeatable" },
        new Option<FileInfo?>("--docker-config") { Description = "docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)" });

    public RegistryClient CreateClient(ParseResult parse) => new(new RegistryClientOptions
    {
        InsecureRegistries = new HashSet<string>(parse.GetValue(Insecure) ?? [], StringComparer.OrdinalIgnoreCase),
        Credentials = Credentials(parse.GetValue(DockerConfig)),
    });

    private static IRegistryCredentialProvider? Credentials(FileInfo? given)
    {
        var file = given ?? DefaultConfig();
        if (file is null) return null;
        try
        {
            if (file.Length > 1 << 20) throw new CommandFailure($"docker config {file.FullName} is larger than 1 MiB", AttestCommand.ExitCodes.UnusableInput);
            return DockerConfigCredentials.ParseConfigJson(File.ReadAllBytes(file.FullName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new CommandFailure($"docker config {file.FullName} cannot be used: {e.Message}", AttestCommand.ExitCodes.UnusableInput);
        }
    }

    private static FileInfo? DefaultConfig()
    {
        var directory = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(directory))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) return null;
            directory = Path.Combine(home, ".docker");
        }
        var file = new FileInfo(Path.Combine(directory, "config.json"));
        return file.Exists ? file : null;
    }
}
