using System.Diagnostics;
using System.Text;

namespace Starling.Interop.Tests.Packaging;

/// <summary>A new project written into the feed's folder, built against the local packages, then run as its own process.</summary>
internal sealed class FreshApp : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    private FreshApp(string directory, string name)
    {
        Directory = directory;
        Name = name;
    }

    public string Directory { get; }

    public string Name { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Writes <paramref name="files"/> (name, text) into a folder named <paramref name="name"/> and builds it in Release.</summary>
    public static async Task<FreshApp> BuildAsync(LocalFeed feed, string name, IReadOnlyDictionary<string, string> files)
    {
        string directory = Path.Combine(feed.Root, name);
        System.IO.Directory.CreateDirectory(directory);
        foreach (var (file, text) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, file), text);
        }

        var build = await RunDotnetAsync(feed, directory, ["build", "-c", "Release", "--nologo", "-v", "q", "-clp:ErrorsOnly"]);
        Assert.True(build.ExitCode == 0, $"dotnet build of the fresh {name} failed:\n{build.Output}{build.Error}");
        return new FreshApp(directory, name);
    }

    /// <summary>Runs the built app (dotnet NAME.dll ARGS) and waits for <paramref name="port"/> to accept.</summary>
    public async Task StartAsync(int port, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(Directory, "bin", "Release", "net10.0", Name + ".dll"));
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var listening = Infrastructure.LocalPorts.WaitUntilListeningAsync(port);
        if (await Task.WhenAny(listening, _process.WaitForExitAsync()) != listening)
        {
            throw new InvalidOperationException($"the fresh {Name} exited at start:\n{Output}");
        }

        await listening;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private static Task<ProcessRunner.Result> RunDotnetAsync(LocalFeed feed, string directory, string[] arguments)
    {
        // NUGET_PACKAGES for this restore only: a fresh folder, so no Starling package comes from an earlier restore.
        return ProcessRunner.RunAsync("env", [$"NUGET_PACKAGES={feed.RestoredPackages}", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "dotnet", .. arguments], TimeSpan.FromMinutes(4), directory);
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
