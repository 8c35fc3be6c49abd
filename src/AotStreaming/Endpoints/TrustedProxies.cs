using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Endpoints;

/// <summary>
/// <c>TRUSTED_PROXY_IP</c> as Express' <c>trust proxy</c> setting reads it (the proxy-addr package): addresses, CIDRs,
/// address/netmask pairs, and the names <c>loopback</c>, <c>linklocal</c> and <c>uniquelocal</c>, which proxy-addr
/// expands to the ranges below. Unset, Mastodon's streaming server uses <c>loopback,uniquelocal</c>.
/// </summary>
internal sealed class TrustedProxies
{
    // proxy-addr's IP_RANGES, range for range.
    private static readonly Dictionary<string, string[]> s_namedRanges = new(StringComparer.Ordinal)
    {
        ["loopback"] = ["127.0.0.1/8", "::1/128"],
        ["linklocal"] = ["169.254.0.0/16", "fe80::/10"],
        ["uniquelocal"] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
    };

    private readonly List<IPNetwork> _networks = [];

    public TrustedProxies(IReadOnlyList<string> entries)
    {
        foreach (var entry in entries.Count == 0 ? ["loopback", "uniquelocal"] : entries)
        {
            // Names are case-sensitive in proxy-addr: "Loopback" is not one (and not an address either).
            foreach (var notation in s_namedRanges.TryGetValue(entry, out var ranges) ? ranges : [entry])
            {
                if (TryParseNotation(notation, out var network))
                {
                    _networks.Add(network);
                }
            }
        }
    }

    public IReadOnlyList<IPNetwork> Networks => _networks;

    public bool IsTrusted(IPAddress address)
    {
        // proxy-addr compares an IPv4-mapped IPv6 address with IPv4 ranges as the IPv4 address, and an IPv4 address
        // with IPv6 ranges as its mapped form.
        var asV4 = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        var asV6 = asV4.AddressFamily == AddressFamily.InterNetwork ? asV4.MapToIPv6() : address;
        foreach (var network in _networks)
        {
            var candidate = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? asV4 : asV6;
            if (candidate.AddressFamily == network.BaseAddress.AddressFamily && network.Contains(candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>ip</c>, <c>ip/prefix</c> or <c>ipv4/netmask</c>. An address without a prefix is one host; the host bits of
    /// a CIDR are ignored, as proxy-addr ignores them (<c>127.0.0.1/8</c> is 127.0.0.0/8).
    /// </summary>
    internal static bool TryParseNotation(string notation, out IPNetwork network)
    {
        network = default;
        var slash = notation.LastIndexOf('/');
        var addressText = slash < 0 ? notation : notation[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            return false;
        }

        if (slash < 0 && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix;
        var range = slash < 0 ? null : notation[(slash + 1)..];
        if (range is null)
        {
            prefix = max;
        }
        else if (range.Length > 0 && range.All(char.IsAsciiDigit))
        {
            if (!int.TryParse(range, out prefix))
            {
                return false;
            }
        }
        else if (max == 32 && IPAddress.TryParse(range, out var mask) && mask.AddressFamily == AddressFamily.InterNetwork && TryPrefixFromMask(mask, out prefix))
        {
        }
        else
        {
            return false;
        }

        if (prefix <= 0 || prefix > max)
        {
            return false;
        }

        network = new IPNetwork(Truncate(address, prefix), prefix);
        return true;
    }

    private static bool TryPrefixFromMask(IPAddress mask, out int prefix)
    {
        var bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        prefix = System.Numerics.BitOperations.LeadingZeroCount(~bits);
        // A netmask is ones then zeros; anything else is not one.
        return prefix == 32 ? bits == uint.MaxValue : bits == ~(uint.MaxValue >> prefix);
    }

    private static IPAddress Truncate(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}
