namespace Starling.Broker.Tests.Architecture;

/// <summary>House rules about the shape of the source tree, checked so they stay true.</summary>
public sealed class SourceShapeTests
{
    private const int MaximumLines = 500;

    [Fact]
    public void NoSourceFile_IsLongerThan500Lines()
    {
        string src = Path.Combine(SourceTree.Root(), "src");
        var tooLong = SourceTree.Files(src)
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
        string directory = Path.Combine(SourceTree.Root(), "src", project);
        var naming = SourceTree.Files(directory)
            .Where(path => File.ReadAllText(path).Contains("MqttConnection", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(directory, path))
            .ToList();
        Assert.True(naming.Count == 0, string.Join('\n', naming));
    }
}
