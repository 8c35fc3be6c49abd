namespace AotStreaming.Benchmarks;

/// <summary>What a client's account has configured; decides which statuses should reach it (reference §6.3).</summary>
internal enum ClientRole
{
    Plain,

    /// <summary>Blocks <see cref="BenchDatabase.BlockedAuthorId"/>: that author's statuses must not arrive.</summary>
    BlocksAuthor,

    /// <summary>Mutes <see cref="BenchDatabase.MutedAuthorId"/>: that author's statuses must not arrive.</summary>
    MutesAuthor,

    /// <summary>Has a keyword filter on "bench": statuses still arrive, with a non-empty <c>filtered</c> array.</summary>
    KeywordFilter,
}
