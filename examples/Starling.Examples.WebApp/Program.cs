using Starling.Examples.WebApp;

// An ASP.NET Core app that embeds the broker:
//   dotnet run --project examples/Starling.Examples.WebApp -- --urls http://127.0.0.1:5080 --MqttPort 1884
await EmbeddedBrokerApp.Build(args).RunAsync().ConfigureAwait(false);
