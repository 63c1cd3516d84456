namespace Attest.Testing;

/// <summary>A tool the real test rig needs is not installed. Tests fail (never skip) with this message, which says
/// how to get the tool: <c>./test.sh</c> installs everything.</summary>
public sealed class RigPrerequisiteException(string message) : Exception(message);

public static class Prerequisites
{
    /// <summary>Full path of an executable on PATH (or in one of the extra directories), or a failure naming the
    /// Debian package that provides it.</summary>
    public static string Executable(string name, string debianPackage, params string[] extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(extraDirectories))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new RigPrerequisiteException(
            $"'{name}' is not installed: run ./test.sh, which installs the Debian package '{debianPackage}' " +
            $"(or: apt-get install --no-install-recommends {debianPackage})");
    }

    /// <summary>The newest PostgreSQL server binary directory (Debian: /usr/lib/postgresql/&lt;major&gt;/bin).</summary>
    public static string PostgresBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")) && File.Exists(Path.Combine(d, "bin", "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
        return newest is null
            ? throw new RigPrerequisiteException(
                "PostgreSQL server binaries (initdb, pg_ctl) are not installed: run ./test.sh, which installs the Debian package 'postgresql'")
            : Path.Combine(newest, "bin");
    }
}
