namespace Starling.Cli.Tests;

/// <summary>dotnet pack, then dotnet tool install from the nupkg, then run the installed starling.</summary>
public sealed class ToolPackageTests
{
    [Fact]
    public async Task Packed_tool_installs_and_runs()
    {
        var root = Repository.Root;
        var work = Directory.CreateTempSubdirectory("starling-tool-");
        try
        {
            var packages = Path.Combine(work.FullName, "packages");
            var tools = Path.Combine(work.FullName, "tools");

            // A separate artifacts path keeps this build away from the one running the tests.
            var pack = await Cli.RunProcessAsync("dotnet", ["pack", Path.Combine(root, "src", "Starling.Cli"), "-c", "Release", "-o", packages, "--artifacts-path", Path.Combine(work.FullName, "artifacts")], TimeSpan.FromMinutes(8));
            Assert.True(pack.ExitCode == 0, pack.Output + pack.Error);
            Assert.Single(Directory.GetFiles(packages, "Starling.Cli.*.nupkg"));

            var install = await Cli.RunProcessAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "Starling.Cli"], TimeSpan.FromMinutes(5), work.FullName);
            Assert.True(install.ExitCode == 0, install.Output + install.Error);

            var help = await Cli.RunProcessAsync(Path.Combine(tools, "starling"), ["pub", "--help"], TimeSpan.FromMinutes(1));
            Assert.Equal(0, help.ExitCode);
            Assert.Contains("--topic", help.Output);

            var bad = await Cli.RunProcessAsync(Path.Combine(tools, "starling"), ["pub", "-t", "x"], TimeSpan.FromMinutes(1));
            Assert.Equal(ExitCodes.BadArguments, bad.ExitCode);
            Assert.Contains("no message", bad.Error);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
