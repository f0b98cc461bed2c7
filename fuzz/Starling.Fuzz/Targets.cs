namespace Starling.Fuzz;

internal static class Targets
{
    public delegate void Target(ReadOnlySpan<byte> input);

    public static Target Get(string name) => name switch
    {
        "codec" => CodecTarget.Run,
        "connection" => ConnectionTarget.Run,
        _ => throw new ArgumentException($"unknown target {name} (codec or connection)", nameof(name)),
    };
}
