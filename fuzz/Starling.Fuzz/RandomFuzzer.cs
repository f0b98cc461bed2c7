using System.Diagnostics;
using System.Security.Cryptography;

namespace Starling.Fuzz;

/// <summary>
/// In-process mutation fuzzing that needs no AFL: seeds (the checked-in corpus, or the generated one) are
/// mutated (bit flips, interesting values, inserts, deletes, duplicated ranges, splices, truncation) and
/// run through the target. An exception is a crash; an execution longer than the hang limit is a hang
/// (caught by a watchdog thread, since a spinning loop cannot be interrupted). Findings are written to the
/// findings directory; the exit code is 1 when anything was found.
/// </summary>
internal static class RandomFuzzer
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0x81, 0xFF, 0xFE, 0x10, 0x20, 0x30, 0x32, 0x34, 0x62, 0x82, 0xA2, 0xC0, 0xE0, 0xF0, 0x0B, 0x11, 0x21, 0x22, 0x23, 0x26, 0x27];
    private static readonly ushort[] InterestingWords = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF];

    private static long _executionStartedAt;
    private static byte[] _current = [];

    public static int Run(string[] args)
    {
        string targetName = args.Length > 0 ? args[0] : throw new ArgumentException("random needs a target: codec or connection");
        var target = Targets.Get(targetName);
        double seconds = 60;
        int seed = Environment.TickCount;
        string? corpusDir = null;
        string findings = Path.Combine("fuzz-findings", targetName);
        double hangSeconds = 10;
        for (int i = 1; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--corpus": corpusDir = args[i + 1]; break;
                case "--findings": findings = args[i + 1]; break;
                case "--hang-seconds": hangSeconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        List<byte[]> seeds = corpusDir is not null && Directory.Exists(corpusDir)
            ? Directory.GetFiles(corpusDir).Order().Select(File.ReadAllBytes).ToList()
            : SeedCorpus.Build(targetName).Select(s => s.Bytes).ToList();
        if (seeds.Count == 0)
        {
            seeds.Add([]);
        }

        Console.WriteLine($"fuzz {targetName}: {seeds.Count} seeds, seed {seed}, {seconds} s, findings in {findings}");
        var random = new Random(seed);
        var recent = new List<byte[]>();
        var signatures = new HashSet<string>();
        long executions = 0, crashes = 0;
        var clock = Stopwatch.StartNew();
        StartWatchdog(targetName, findings, hangSeconds);

        // Every seed once, unmutated: the valid corpus must pass.
        foreach (byte[] input in seeds)
        {
            crashes += Execute(target, input, findings, signatures) ? 0 : 1;
            executions++;
        }

        long nextReport = 10_000;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            byte[] input = random.Next(50) == 0
                ? RandomBytes(random, random.Next(64))
                : Mutate(random.Next(8) == 0 && recent.Count > 0 ? recent[random.Next(recent.Count)] : seeds[random.Next(seeds.Count)], random, seeds);
            if (!Execute(target, input, findings, signatures))
            {
                crashes++;
            }
            else if (random.Next(64) == 0)
            {
                if (recent.Count < 256)
                {
                    recent.Add(input);
                }
                else
                {
                    recent[random.Next(recent.Count)] = input;
                }
            }

            executions++;
            if (clock.ElapsedMilliseconds >= nextReport)
            {
                Console.WriteLine($"  {clock.Elapsed.TotalSeconds:F0} s: {executions} executions, {crashes} crashes ({signatures.Count} distinct)");
                nextReport += 10_000;
            }
        }

        double elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"fuzz {targetName}: {executions} executions in {elapsed:F1} s ({executions / elapsed:F0}/s), {crashes} crashes ({signatures.Count} distinct), 0 hangs");
        return crashes == 0 ? 0 : 1;
    }

    /// <summary>Runs one input; false (and the input saved) when it threw.</summary>
    private static bool Execute(Targets.Target target, byte[] input, string findings, HashSet<string> signatures)
    {
        Volatile.Write(ref _current, input);
        Volatile.Write(ref _executionStartedAt, Stopwatch.GetTimestamp());
        try
        {
            target(input);
            return true;
        }
        catch (Exception ex)
        {
            string signature = $"{ex.GetType().Name} {ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
            if (signatures.Add(signature) && signatures.Count <= 50)
            {
                string file = Save(findings, "crash", input);
                Console.WriteLine($"CRASH {file}: {ex}");
            }

            return false;
        }
        finally
        {
            Volatile.Write(ref _executionStartedAt, 0);
        }
    }

    private static string Save(string findings, string kind, byte[] input)
    {
        Directory.CreateDirectory(findings);
        string file = Path.Combine(findings, $"{kind}-{Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant()}.bin");
        File.WriteAllBytes(file, input);
        return file;
    }

    private static void StartWatchdog(string targetName, string findings, double hangSeconds)
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(500);
                long started = Volatile.Read(ref _executionStartedAt);
                if (started != 0 && Stopwatch.GetElapsedTime(started).TotalSeconds > hangSeconds)
                {
                    string file = Save(findings, "hang", Volatile.Read(ref _current));
                    Console.WriteLine($"HANG {file}: one execution of {targetName} ran over {hangSeconds} s");
                    Console.Out.Flush();
                    Environment.Exit(2);
                }
            }
        })
        { IsBackground = true, Name = "fuzz watchdog" };
        thread.Start();
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    internal static byte[] Mutate(byte[] seed, Random random, List<byte[]> pool)
    {
        var data = new List<byte>(seed);
        int count = 1 << random.Next(4);
        for (int m = 0; m < count; m++)
        {
            int pos = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(11))
            {
                case 0 when data.Count > 0:
                    data[pos] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[pos] = (byte)random.Next(256);
                    break;
                case 2 when data.Count > 0:
                    data[pos] = InterestingBytes[random.Next(InterestingBytes.Length)];
                    break;
                case 3:
                    data.InsertRange(pos, RandomBytes(random, 1 + random.Next(8)));
                    break;
                case 4 when data.Count > 1:
                    data.RemoveRange(pos, Math.Min(1 + random.Next(8), data.Count - pos));
                    break;
                case 5 when data.Count > 1:
                    {
                        int from = random.Next(data.Count);
                        int length = Math.Min(1 + random.Next(32), data.Count - from);
                        data.InsertRange(pos, data.GetRange(from, length));
                        break;
                    }

                case 6:
                    {
                        byte[] other = pool[random.Next(pool.Count)];
                        if (other.Length > 0)
                        {
                            int from = random.Next(other.Length);
                            data.InsertRange(random.Next(2) == 0 ? data.Count : pos, other.Skip(from).Take(1 + random.Next(other.Length - from)));
                        }

                        break;
                    }

                case 7 when data.Count > 1:
                    data.RemoveRange(pos, data.Count - pos);
                    break;
                case 8 when data.Count > 1:
                    {
                        ushort word = random.Next(3) == 0 ? (ushort)(data.Count - pos + random.Next(5) - 2) : InterestingWords[random.Next(InterestingWords.Length)];
                        data[pos] = (byte)(word >> 8);
                        if (pos + 1 < data.Count)
                        {
                            data[pos + 1] = (byte)word;
                        }

                        break;
                    }

                case 9 when data.Count > 0:
                    data[pos] = (byte)(data[pos] + random.Next(-4, 5));
                    break;
                case 10 when data.Count > 0:
                    data[pos] = (byte)(0x80 | random.Next(256)); // a continuation bit: long variable byte integers
                    break;
            }
        }

        return [.. data];
    }
}
