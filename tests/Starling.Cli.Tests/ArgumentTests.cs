namespace Starling.Cli.Tests;

public sealed class ArgumentTests
{
    [Theory]
    [InlineData("pub -t a/b", "no message")]
    [InlineData("pub -m x", "--topic")]
    [InlineData("pub -t a/+ -m x", "not a valid topic name")]
    [InlineData("pub -t a -m x -q 3", "'3' is not a QoS")]
    [InlineData("pub -t a -m x -V 4.0", "is not an MQTT version")]
    [InlineData("pub -t a -m x -f /etc/hostname", "only one of")]
    [InlineData("pub -t a -m x --content-type text/plain", "add -V 5")]
    [InlineData("pub -t a -m x -p 70000", "between 1 and 65535")]
    [InlineData("pub -t a -m x --bogus", "--bogus")]
    [InlineData("pub -t a -m x --ws http://x/", "ws:// or wss://")]
    [InlineData("pub -t a -m x --key k.pem", "--key needs --cert")]
    [InlineData("sub -t a/#/b", "not a valid topic filter")]
    [InlineData("sub -t a -t b -q 1 -q 2 -q 0", "give -q once, or once per -t")]
    [InlineData("sub -t a --no-local", "add -V 5")]
    [InlineData("bench nowhere", "nowhere")]
    [InlineData("bench p2p --size 8", "--size must be between")]
    [InlineData("frobnicate", "frobnicate")]
    public async Task Bad_arguments_exit_2_with_a_message(string args, string expected)
    {
        var result = await Cli.RunAsync(args.Split(' '));
        Assert.Equal(ExitCodes.BadArguments, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Contains("--help", result.Error);
    }

    [Fact]
    public async Task Unreachable_broker_exits_3_naming_it()
    {
        var result = await Cli.RunAsync(["pub", "-h", "127.0.0.1", "-p", "1", "-t", "a", "-m", "x"]);
        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Contains("cannot connect to 127.0.0.1:1", result.Error);

        var sub = await Cli.RunAsync(["sub", "-h", "127.0.0.1", "-p", "1", "-t", "a"]);
        Assert.Equal(ExitCodes.Unreachable, sub.ExitCode);

        var bench = await Cli.RunAsync(["bench", "p2p", "-h", "127.0.0.1", "-p", "1", "--duration", "1"]);
        Assert.Equal(ExitCodes.Unreachable, bench.ExitCode);
        Assert.Contains("cannot connect to 127.0.0.1:1", bench.Error);
    }

    [Theory]
    [InlineData("pub")]
    [InlineData("sub")]
    [InlineData("bench")]
    public async Task Every_option_has_help_text(string command)
    {
        var result = await Cli.RunAsync([command, "--help"]);
        Assert.Equal(0, result.ExitCode);
        var optionLines = result.Output.Split('\n').SkipWhile(l => !l.StartsWith("Options:", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.TrimStart().StartsWith('-')).ToList();
        Assert.NotEmpty(optionLines);
        foreach (var line in optionLines)
        {
            // "  -t, --topic <topic>   Description": a description follows the option column.
            Assert.Matches(@"^\s+\S.*\S\s{2,}\S", line);
        }
    }

    [Fact]
    public async Task Dash_h_is_the_host_and_help_is_dash_question_mark()
    {
        var help = await Cli.RunAsync(["pub", "-?"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("-h, --host", help.Output);
    }
}
