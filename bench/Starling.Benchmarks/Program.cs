using BenchmarkDotNet.Running;

// Run with e.g.: dotnet run -c Release --project bench/Starling.Benchmarks -- --filter '*TopicTree*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
