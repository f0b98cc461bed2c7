namespace Starling.Broker.Tests.Architecture;

/// <summary>House rules about the shape of the source tree, checked so they stay true.</summary>
public sealed class SourceShapeTests
{
    private const int MaximumLines = 500;

    [Fact]
    public void NoSourceFile_IsLongerThan500Lines()
    {
        string src = Path.Combine(RepositoryRoot(), "src");
        var tooLong = SourceFiles(src)
            .Select(path => (Path: Path.GetRelativePath(src, path), Lines: File.ReadLines(path).Count()))
            .Where(file => file.Lines > MaximumLines)
            .Select(file => $"{file.Path}: {file.Lines} lines")
            .ToList();
        Assert.True(tooLong.Count == 0, string.Join('\n', tooLong));
    }

    [Theory]
    [InlineData("Starling.Net")]
    [InlineData("Starling.Hosting")]
    public void Transports_HoldTheEngine_ThroughIConnectionEngine_NotMqttConnection(string project)
    {
        // A transport that names the concrete engine class changes whenever the protocol handling does.
        string directory = Path.Combine(RepositoryRoot(), "src", project);
        var naming = SourceFiles(directory)
            .Where(path => File.ReadAllText(path).Contains("MqttConnection", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(directory, path))
            .ToList();
        Assert.True(naming.Count == 0, string.Join('\n', naming));
    }

    private static IEnumerable<string> SourceFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string RepositoryRoot()
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
