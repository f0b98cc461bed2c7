namespace Starling.TestSupport;

/// <summary>Where the repository is, for tests that run its scripts or read its documents.</summary>
public static class Repository
{
    /// <summary>The folder holding Starling.sln, found upwards from the test's own folder.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Starling.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Starling.sln not found above " + AppContext.BaseDirectory);
    }
}
