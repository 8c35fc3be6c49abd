using AotStreaming.Postgres;
using AotStreaming.Protocol;
using Microsoft.AspNetCore.Http;

namespace AotStreaming.Auth;

/// <summary>Request → <see cref="AuthenticatedUser"/>, or the exact upstream error (reference §4.3).</summary>
internal sealed class TokenAuthenticator(StreamingDatabase database)
{
    public async Task<AuthenticatedUser> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var token = TokenExtractor.Extract(request) ?? throw StreamingRequestException.MissingToken();
        return await database.AuthenticateAsync(token, cancellationToken) ?? throw StreamingRequestException.InvalidToken();
    }
}
