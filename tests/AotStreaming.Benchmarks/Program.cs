using AotStreaming.Benchmarks;

SocketEngineSettings.ApplyToThisProcess();

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

try
{
    return await Scenarios.RunAsync(options);
}
catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine("benchmark failed: " + ex.Message);
    return 1;
}
