using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace AotStreaming.Testing.Redis;

/// <summary>
/// A redis-server that only speaks TLS (<c>--port 0 --tls-port</c>), with a private CA and a server certificate for
/// <c>IP:127.0.0.1</c> and <c>DNS:localhost</c>, both made with the openssl command line in a temp directory.
/// </summary>
public sealed class TlsRedis : IAsyncDisposable
{
    private readonly string _directory;
    private readonly RedisProcess _process;

    private TlsRedis(string directory, RedisProcess process)
    {
        _directory = directory;
        _process = process;
    }

    public int Port => _process.Port;

    /// <summary>PEM file of the private CA that signed the server certificate.</summary>
    public string CaFile => Path.Combine(_directory, "ca.crt");

    public static async Task<TlsRedis> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("aot-tls-redis-").FullName;
        try
        {
            return new TlsRedis(directory, await StartInAsync(directory));
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private static async Task<RedisProcess> StartInAsync(string directory)
    {
        await File.WriteAllTextAsync(Path.Combine(directory, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        // EC keys: generated in milliseconds, unlike RSA.
        await OpenSslAsync(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=aot-streaming test CA");
        await OpenSslAsync(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=aot-streaming test redis");
        await OpenSslAsync(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
        var port = RedisProcess.FreePort();
        return await RedisProcess.StartAsync(port,
        [
            "--port", "0", "--tls-port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--tls-cert-file", Path.Combine(directory, "server.crt"), "--tls-key-file", Path.Combine(directory, "server.key"),
            "--tls-ca-cert-file", Path.Combine(directory, "ca.crt"), "--tls-auth-clients", "no",
        ]);
    }

    /// <summary>A test-side client that trusts exactly the private CA.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{Port},ssl=true,abortConnect=true,{TestEnvironment.RedisConnectTimeout}");
        options.TrustIssuer(X509CertificateLoader.LoadCertificateFromFile(CaFile));
        return ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task<long> PublishAsync(string channel, string message)
    {
        await using var redis = await ConnectAsync();
        return await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message);
    }

    public async Task WaitForSubscriptionAsync(string channel)
    {
        await using var redis = await ConnectAsync();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        // Polling Redis' own state: there is no event to await for another process's SUBSCRIBE.
        await Eventually.UntilAsync(
            async () => (long)((RedisResult[])(await server.ExecuteAsync("PUBSUB", "NUMSUB", channel))!)[1],
            subscribers => subscribers > 0,
            DefaultTimeoutExtensions.Timeout,
            $"channel {channel} to be subscribed on the TLS Redis",
            subscribers => $"{subscribers} subscribers");
    }

    private static async Task OpenSslAsync(string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start openssl");
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().DefaultTimeout();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {await error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
