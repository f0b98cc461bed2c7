namespace Starling.Broker.Tests.Architecture;

/// <summary>Finds the repository and its C# sources, for the tests that check the shape of the code.</summary>
internal static class SourceTree
{
    /// <summary>The *.cs files under <paramref name="directory"/>, without build output.</summary>
    public static IEnumerable<string> Files(string directory) =>
        Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The folder holding Starling.sln, above the test's output directory.</summary>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Starling.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Starling.sln not found above " + AppContext.BaseDirectory);
    }
}
