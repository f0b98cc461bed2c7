using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Starling.Security;

/// <summary>
/// A file parsed once, then parsed again when its modification time or length changes. The check is a stat made at
/// most once per <see cref="CheckInterval"/>, on use (or <see cref="Reload"/> at once); a file that no longer parses is logged and the last good
/// version stays in force.
/// </summary>
internal sealed partial class ReloadingFile<T>
    where T : class
{
    private readonly string _path;
    private readonly Func<string, T> _load;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private (DateTime Time, long Length) _stamp;
    private long _nextCheck;
    private T _current;

    public ReloadingFile(string path, Func<string, T> load, ILogger logger)
    {
        _path = Path.GetFullPath(path);
        _load = load;
        _logger = logger;
        _stamp = Stamp();
        _current = load(_path); // a bad file at start stops the broker
        _nextCheck = Stopwatch.GetTimestamp() + CheckTicks;
    }

    /// <summary>How often the file's time and length are looked at.</summary>
    public static TimeSpan CheckInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Raised after a successful reload.</summary>
    public event Action? Reloaded;

    public string FilePath => _path;

    private static long CheckTicks => (long)(CheckInterval.TotalSeconds * Stopwatch.Frequency);

    /// <summary>The current version, reloaded first when the file changed.</summary>
    public T Current
    {
        get
        {
            long now = Stopwatch.GetTimestamp();
            if (now < Volatile.Read(ref _nextCheck))
            {
                return Volatile.Read(ref _current);
            }

            lock (_gate)
            {
                if (now < _nextCheck)
                {
                    return _current;
                }

                _nextCheck = now + CheckTicks;
                var stamp = Stamp();
                if (stamp != _stamp)
                {
                    Load(stamp);
                }

                return _current;
            }
        }
    }

    /// <summary>
    /// Parses the file again now, whether or not its time and length changed (SIGHUP: an editor may keep both, or the
    /// operator wants the change in force at once). False when it no longer parses: the last good version stays.
    /// </summary>
    public bool Reload()
    {
        lock (_gate)
        {
            _nextCheck = Stopwatch.GetTimestamp() + CheckTicks;
            return Load(Stamp());
        }
    }

    /// <summary>Under the lock: loads the file whose stamp is <paramref name="stamp"/>, and tells on success.</summary>
    private bool Load((DateTime Time, long Length) stamp)
    {
        try
        {
            var loaded = _load(_path);
            _stamp = stamp;
            Volatile.Write(ref _current, loaded);
            ReloadedLog(_logger, _path);
            Reloaded?.Invoke();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            _stamp = stamp; // do not retry until it changes again
            ReloadFailed(_logger, ex, _path);
            return false;
        }
    }

    private (DateTime, long) Stamp()
    {
        var info = new FileInfo(_path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    [LoggerMessage(1, LogLevel.Information, "Reloaded {Path}.")]
    private static partial void ReloadedLog(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Error, "Could not reload {Path}; the previous version stays in force.")]
    private static partial void ReloadFailed(ILogger logger, Exception exception, string path);
}
