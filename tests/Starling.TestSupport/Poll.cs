namespace Starling.TestSupport;

/// <summary>Waiting for something another thread or process makes true, by looking again and again.</summary>
public static class Poll
{
    /// <summary>Returns once <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/> (10 s).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what = "the condition", TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:F1} s for {what}");
            }

            await Task.Delay(10);
        }
    }
}
