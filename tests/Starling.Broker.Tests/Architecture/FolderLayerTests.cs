using System.Text.RegularExpressions;

namespace Starling.Broker.Tests.Architecture;

/// <summary>
/// The engine's folders (Connections/, Sessions/, Routing/, Storage/, Hooks/, Transport/, Diagnostics/) form layers:
/// no folder depends, directly or through others, on a folder that depends on it. A delivery flows one way (route,
/// session queue, connection output), so a folder loop is a design regression, not a style question.
/// </summary>
/// <remarks>
/// Read from the source, not the assembly: a folder uses another when its code names a type declared there, or imports
/// its namespace. Comments and string literals are ignored. The root namespace (MqttBroker, BrokerContext, BrokerOptions)
/// is the composition root that every folder may see, so it takes no part.
/// </remarks>
public sealed partial class FolderLayerTests
{
    [Fact]
    public void EngineFolders_ImportNoCycle()
    {
        var folders = ReadFolders(Path.Combine(SourceTree.Root(), "src", "Starling.Broker"));
        var uses = Dependencies(folders);
        var cycle = FindCycle(uses.Keys.Select(edge => edge.From).Concat(uses.Keys.Select(edge => edge.To)).Distinct(), uses);
        Assert.True(cycle is null, cycle is null ? null : Describe(cycle, uses));
    }

    [Fact]
    public void TheCheck_FindsALoop_WhenOneIsThere()
    {
        // The detector itself: two folders that name each other's types, and a third outside the loop.
        var folders = new Dictionary<string, List<(string File, string Code)>>
        {
            ["A"] = [("A.cs", "class Alpha { Beta b; }")],
            ["B"] = [("B.cs", "class Beta { Alpha a; /* Gamma */ }")],
            ["C"] = [("C.cs", "class Gamma { Alpha a; string s = \"Beta\"; }")],
        };
        var uses = Dependencies(folders);
        Assert.False(uses.ContainsKey(("B", "C")), "a comment is not a use");
        Assert.False(uses.ContainsKey(("C", "B")), "a string is not a use");
        var cycle = FindCycle(folders.Keys, uses);
        Assert.NotNull(cycle);
        Assert.Equal(["A", "B"], cycle!.Order());
    }

    private static Dictionary<string, List<(string File, string Code)>> ReadFolders(string project)
    {
        var folders = new Dictionary<string, List<(string File, string Code)>>();
        foreach (string directory in Directory.EnumerateDirectories(project))
        {
            string name = Path.GetFileName(directory);
            if (name is "bin" or "obj")
            {
                continue;
            }

            folders[name] = SourceTree.Files(directory).Select(path => (Path.GetFileName(path), File.ReadAllText(path))).ToList();
        }

        return folders;
    }

    /// <summary>For each (user, used) pair of folders, the files and names that make the use.</summary>
    private static Dictionary<(string From, string To), List<string>> Dependencies(Dictionary<string, List<(string File, string Code)>> folders)
    {
        var declaredIn = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, files) in folders)
        {
            foreach (var (_, code) in files)
            {
                foreach (Match declaration in Declaration().Matches(StripCommentsAndStrings(code)))
                {
                    declaredIn.TryAdd(declaration.Groups["name"].Value, folder);
                }
            }
        }

        var uses = new Dictionary<(string From, string To), List<string>>();
        foreach (var (folder, files) in folders)
        {
            foreach (var (file, code) in files)
            {
                string stripped = StripCommentsAndStrings(code);
                foreach (Match word in Identifier().Matches(stripped))
                {
                    if (declaredIn.TryGetValue(word.Value, out var owner) && owner != folder)
                    {
                        Add(uses, (folder, owner), $"{file} names {word.Value}");
                    }
                }

                foreach (Match import in Import().Matches(stripped))
                {
                    string imported = import.Groups["folder"].Value;
                    if (imported != folder && folders.ContainsKey(imported))
                    {
                        Add(uses, (folder, imported), $"{file} imports Starling.Broker.{imported}");
                    }
                }
            }
        }

        return uses;
    }

    private static void Add(Dictionary<(string From, string To), List<string>> uses, (string From, string To) edge, string why)
    {
        if (!uses.TryGetValue(edge, out var reasons))
        {
            uses[edge] = reasons = [];
        }

        if (!reasons.Contains(why))
        {
            reasons.Add(why);
        }
    }

    /// <summary>A list of folders each using the next and the last using the first, or null when there is none.</summary>
    private static List<string>? FindCycle(IEnumerable<string> folders, Dictionary<(string From, string To), List<string>> uses)
    {
        var state = new Dictionary<string, int>(); // absent: unseen, 1: on the current path, 2: done
        var path = new List<string>();
        foreach (string start in folders.Order())
        {
            var found = Visit(start);
            if (found is not null)
            {
                return found;
            }
        }

        return null;

        List<string>? Visit(string folder)
        {
            if (state.TryGetValue(folder, out int seen))
            {
                return seen == 1 ? path[path.IndexOf(folder)..] : null;
            }

            state[folder] = 1;
            path.Add(folder);
            foreach (var next in uses.Keys.Where(edge => edge.From == folder).Select(edge => edge.To).Order())
            {
                var found = Visit(next);
                if (found is not null)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
            return null;
        }
    }

    private static string Describe(List<string> cycle, Dictionary<(string From, string To), List<string>> uses) =>
        "Folder loop: " + string.Join(" -> ", cycle.Append(cycle[0])) + "\n" + string.Join('\n', cycle.Select((from, i) =>
        {
            string to = cycle[(i + 1) % cycle.Count];
            return $"{from} -> {to}: {string.Join("; ", uses[(from, to)].Take(5))}";
        }));

    private static string StripCommentsAndStrings(string code) => CommentOrString().Replace(code, " ");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])'", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record)\s+(?:struct\s+|class\s+)?(?<name>[A-Z]\w*)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"\busing\s+Starling\.Broker\.(?<folder>\w+)\s*;")]
    private static partial Regex Import();
}
