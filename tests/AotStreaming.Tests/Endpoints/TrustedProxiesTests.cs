using System.Net;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>Expectations from Express' proxy-addr (named ranges, notations, <c>req.ip</c> from X-Forwarded-For).</summary>
public sealed class TrustedProxiesTests
{
    [Theory]
    [InlineData("loopback", "127.0.0.1", true)]
    [InlineData("loopback", "127.255.255.254", true)]
    [InlineData("loopback", "::1", true)]
    [InlineData("loopback", "::ffff:127.0.0.1", true)]
    [InlineData("loopback", "10.0.0.1", false)]
    [InlineData("linklocal", "169.254.1.1", true)]
    [InlineData("linklocal", "fe80::1", true)]
    [InlineData("linklocal", "febf::1", true)]
    [InlineData("linklocal", "fec0::1", false)]
    [InlineData("uniquelocal", "10.255.0.1", true)]
    [InlineData("uniquelocal", "172.16.0.1", true)]
    [InlineData("uniquelocal", "172.31.255.255", true)]
    [InlineData("uniquelocal", "172.32.0.1", false)]
    [InlineData("uniquelocal", "192.168.7.7", true)]
    [InlineData("uniquelocal", "fc00::1", true)]
    [InlineData("uniquelocal", "fdff::1", true)]
    [InlineData("uniquelocal", "fe00::1", false)]
    [InlineData("uniquelocal", "::ffff:10.1.2.3", true)]
    [InlineData("Loopback", "127.0.0.1", false)]
    public void NamedRange_ExpandsAsProxyAddr(string name, string address, bool trusted)
    {
        Assert.Equal(trusted, new TrustedProxies([name]).IsTrusted(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("192.168.0.1", true)]
    [InlineData("fd12::1", true)]
    [InlineData("169.254.0.1", false)]
    [InlineData("198.51.100.1", false)]
    public void Unset_IsLoopbackAndUniqueLocal(string address, bool trusted)
    {
        Assert.Equal(trusted, new TrustedProxies([]).IsTrusted(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "10.0.0.2", false)]
    [InlineData("10.1.2.3/16", "10.1.200.1", true)]
    [InlineData("10.1.2.3/16", "10.2.0.1", false)]
    [InlineData("10.0.0.0/255.255.0.0", "10.0.9.9", true)]
    [InlineData("10.0.0.0/255.255.0.0", "10.1.0.1", false)]
    [InlineData("2001:db8::/32", "2001:db8:1::1", true)]
    [InlineData("::ffff:10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.0/0", "10.0.0.1", false)]
    [InlineData("10.0.0.0/33", "10.0.0.1", false)]
    [InlineData("10.0.0.0/255.0.255.0", "10.0.0.1", false)]
    [InlineData("not-an-ip", "10.0.0.1", false)]
    public void Notation_AddressCidrOrNetmask(string entry, string address, bool trusted)
    {
        Assert.Equal(trusted, new TrustedProxies([entry]).IsTrusted(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1", "", "127.0.0.1")]
    [InlineData("203.0.113.1", "198.51.100.1", "203.0.113.1")]
    [InlineData("127.0.0.1", "198.51.100.1", "198.51.100.1")]
    [InlineData("127.0.0.1", "198.51.100.1, 10.0.0.1", "198.51.100.1")]
    [InlineData("127.0.0.1", "203.0.113.5, 198.51.100.1, 10.0.0.1", "198.51.100.1")]
    [InlineData("127.0.0.1", "10.0.0.9", "10.0.0.9")]
    [InlineData("127.0.0.1", "192.168.1.20, 10.0.0.9", "192.168.1.20")]
    [InlineData("127.0.0.1", "192.168.1.20,,10.0.0.9, ", "192.168.1.20")]
    [InlineData("127.0.0.1", "unknown, 10.0.0.9", "unknown")]
    [InlineData("127.0.0.1", "::ffff:198.51.100.7", "198.51.100.7")]
    [InlineData("127.0.0.1", "2001:db8::1, fd00::1", "2001:db8::1")]
    public void Resolve_DefaultTrust_IsReqIpOfExpress(string remote, string forwardedFor, string expected)
    {
        Assert.Equal(expected, ClientAddress.Resolve(new TrustedProxies([]), IPAddress.Parse(remote), forwardedFor));
    }

    [Fact]
    public void Resolve_LinkLocalProxyNamed_IsSkipped()
    {
        var trusted = new TrustedProxies(["loopback", "linklocal"]);

        Assert.Equal("198.51.100.1", ClientAddress.Resolve(trusted, IPAddress.Loopback, "198.51.100.1, 169.254.3.3"));
        Assert.Equal("10.0.0.1", ClientAddress.Resolve(trusted, IPAddress.Loopback, "198.51.100.1, 10.0.0.1"));
    }
}
