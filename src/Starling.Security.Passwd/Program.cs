using Starling.Security;

// dotnet run --project src/Starling.Security.Passwd -- FILE USER [--delete] [--password P]
// Without --password the password is read from standard input (typed twice without echo on a terminal).
return PasswordFileEditor.Run(args, Console.In, Console.Out, Console.Error, interactive: !Console.IsInputRedirected);
