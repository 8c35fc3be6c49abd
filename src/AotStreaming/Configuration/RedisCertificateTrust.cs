using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AotStreaming.Configuration;

/// <summary>
/// Certificate verification for <c>rediss://</c>, shared by the subscriber and StackExchange.Redis: the system trust
/// store (OpenSSL's, so <c>SSL_CERT_FILE</c> and <c>SSL_CERT_DIR</c> apply) plus the CA certificates of the PEM file
/// named by <c>NODE_EXTRA_CA_CERTS</c>. That variable is how Mastodon's Node server (ioredis on Node's TLS) is told
/// to trust a private CA, so a deployment that has it set keeps working unchanged. The host name (or IP address)
/// is always checked; no setting turns verification off.
/// </summary>
internal sealed class RedisCertificateTrust
{
    /// <summary>The one place the README points at; repeated in every certificate error so the log says what to do.</summary>
    public const string Hint = "trust a private CA with NODE_EXTRA_CA_CERTS=/path/ca.pem (or SSL_CERT_FILE / SSL_CERT_DIR)";

    private readonly X509Certificate2Collection _extraRoots;

    private RedisCertificateTrust(X509Certificate2Collection extraRoots) => _extraRoots = extraRoots;

    public static RedisCertificateTrust SystemOnly { get; } = new([]);

    /// <summary>Loads every certificate of a PEM file; a file that is missing or holds none stops startup, naming it.</summary>
    public static RedisCertificateTrust FromPemFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigurationException($"Invalid NODE_EXTRA_CA_CERTS environment variable: cannot read certificates from {path}: {ex.Message}");
        }

        return roots.Count > 0
            ? new RedisCertificateTrust(roots)
            : throw new ConfigurationException($"Invalid NODE_EXTRA_CA_CERTS environment variable: {path} holds no PEM certificate");
    }

    public int ExtraRootCount => _extraRoots.Count;

    /// <summary>A <see cref="RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        Check(certificate, chain, errors) == SslPolicyErrors.None;

    /// <summary>What is left wrong once the extra roots are taken into account (<see cref="SslPolicyErrors.None"/> = accept).</summary>
    public SslPolicyErrors Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        // A name mismatch or a missing certificate is never fixed by another CA: only chain errors are rechecked.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || _extraRoots.Count == 0 || certificate is null)
        {
            return errors;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        // Node does not check revocation for these either, and a private CA rarely publishes a CRL.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent.
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf) ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors;
    }

    /// <summary>One line for the log: what was wrong with the certificate and how to fix it.</summary>
    public static string Describe(string targetHost, SslPolicyErrors errors, X509Chain? chain)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("no certificate was sent");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"it is not issued for {targetHost}");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct() ?? [];
            reasons.Add($"its chain is not trusted ({string.Join(", ", status)})");
        }

        return $"the TLS certificate of Redis at {targetHost} was rejected: {string.Join("; ", reasons)}; {Hint}";
    }
}
