using Starling.Cli;

return await StarlingCli.RunAsync(args, CliConsole.Standard()).ConfigureAwait(false);
