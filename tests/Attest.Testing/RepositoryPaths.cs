using System.Reflection;

namespace Attest.Testing;

/// <summary>Locates the repository from a test's output directory, so tests read the copied vectors and
/// example policies without depending on ../shared.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Attest.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Attest.sln above {AppContext.BaseDirectory}");
    });

    public static string Root => RootPath.Value;

    /// <summary><c>tests/vectors/&lt;area&gt;/…</c>: copied test data with provenance notes.</summary>
    public static string Vectors(params string[] parts) => Path.Combine([Root, "tests", "vectors", .. parts]);

    public static string Policies => Path.Combine(Root, "policies");

    /// <summary>The build output of a product project (same configuration as the running test).</summary>
    public static string ProjectOutput(string project, string fileName)
    {
        // Built in the same configuration (Debug/Release) as this support assembly.
        var configuration = typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(Root, "src", project, "bin", configuration, "net10.0", fileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing; build the solution first", path);
        return path;
    }
}
