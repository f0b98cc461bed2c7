using BenchmarkDotNet.Running;

// Run with e.g.: dotnet run -c Release --project bench/Starling.Benchmarks -- --filter '*TopicTree*' --job short
// or, for the cost of one NATS hop alone: dotnet run -c Release --project bench/Starling.Benchmarks -- nats-floor nats://127.0.0.1:4222
if (args is ["nats-floor", var url])
{
    return await NatsFloor.RunAsync(url);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
