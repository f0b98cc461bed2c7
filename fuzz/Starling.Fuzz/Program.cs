using System.Diagnostics;
using Starling.Fuzz;

// Starling.Fuzz <codec|connection>                        AFL++ target (run under afl-fuzz after sharpfuzz instrumentation)
// Starling.Fuzz random <codec|connection> [--seconds N] [--seed S] [--corpus DIR] [--findings DIR]
//                                                         in-process mutation fuzzing, no AFL needed (CI)
// Starling.Fuzz replay <codec|connection> FILE|DIR...     runs inputs once (reproduce a finding)
// Starling.Fuzz corpus DIR                                writes the seed corpus into DIR/codec and DIR/connection
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Starling.Fuzz <codec|connection> | random <target> [--seconds N] [--seed S] [--corpus DIR] [--findings DIR] | replay <target> FILE... | corpus DIR");
    return 64;
}

switch (args[0])
{
    case "codec" or "connection":
        var target = Targets.Get(args[0]);
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            target(memory.ToArray());
        });
        return 0;
    case "random":
        return RandomFuzzer.Run(args[1..]);
    case "replay":
        return Replay(Targets.Get(args[1]), args[2..]);
    case "corpus":
        SeedCorpus.Write(args[1]);
        return 0;
    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 64;
}

static int Replay(Targets.Target target, string[] paths)
{
    int failures = 0;
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order();
    foreach (string file in files)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            target(File.ReadAllBytes(file));
            Console.WriteLine($"ok    {file} ({watch.ElapsedMilliseconds} ms)");
        }
        catch (Exception ex)
        {
            failures++;
            Console.WriteLine($"FAIL  {file}: {ex}");
        }
    }

    return failures == 0 ? 0 : 1;
}
