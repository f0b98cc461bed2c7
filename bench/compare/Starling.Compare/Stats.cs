namespace Starling.Compare;

internal static class Stats
{
    /// <summary>Nearest-rank percentile of sorted values; NaN when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Median of the values that are there (null when none is).</summary>
    public static double? Median(IEnumerable<double?> values)
    {
        var present = values.Where(v => v is not null && !double.IsNaN(v.Value)).Select(v => v!.Value).Order().ToArray();
        if (present.Length == 0)
        {
            return null;
        }

        return present.Length % 2 == 1 ? present[present.Length / 2] : (present[(present.Length / 2) - 1] + present[present.Length / 2]) / 2;
    }
}
