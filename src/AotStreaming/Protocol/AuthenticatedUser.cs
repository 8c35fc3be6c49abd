namespace AotStreaming.Protocol;

/// <summary>What the token lookup (reference §4.2) gives us; read once per connection, never re-checked.</summary>
internal sealed record AuthenticatedUser(
    long AccessTokenId,
    long AccountId,
    string[] Scopes,
    string[]? ChosenLanguages,
    long Permissions)
{
    /// <summary><c>UserRole::FLAGS[:view_feeds]</c>, bit 20: bypasses disabled live and topic feeds (§6.4).</summary>
    public const long ViewFeedsPermission = 1L << 20;

    public bool HasScope(string scope) => Array.IndexOf(Scopes, scope) >= 0;

    /// <summary>Scope rule of §4.4: <c>read</c>, or the channel-specific scope.</summary>
    public bool CanRead(string channelName) =>
        HasScope("read") || HasScope(channelName == "user:notification" ? "read:notifications" : "read:statuses");
}
