namespace AotStreaming.Configuration;

public sealed class DotEnvFileTests
{
    [Fact]
    public void Parse_PlainAssignments_ReturnsTrimmedValues()
    {
        var text = "DB_HOST=db.internal\n  DB_PORT = 6432  \nEMPTY=\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("db.internal", result["DB_HOST"]);
        Assert.Equal("6432", result["DB_PORT"]);
        Assert.Equal("", result["EMPTY"]);
    }

    [Fact]
    public void Parse_CommentsBlankLinesAndExport_AreHandled()
    {
        var text = "# a comment\n\nexport REDIS_HOST=redis\r\nLOCAL_DOMAIN=example.com # trailing\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal(2, result.Count);
        Assert.Equal("redis", result["REDIS_HOST"]);
        Assert.Equal("example.com", result["LOCAL_DOMAIN"]);
    }

    [Fact]
    public void Parse_HashInUnquotedValue_StartsCommentLikeDotenv()
    {
        var text = "DB_PASS=ab#cd";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("ab", result["DB_PASS"]);
    }

    [Fact]
    public void Parse_QuotedValues_KeepHashAndSpaces()
    {
        var text = "A='x # y'\nB=\"p#ss word\"\nC=`tick`\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("x # y", result["A"]);
        Assert.Equal("p#ss word", result["B"]);
        Assert.Equal("tick", result["C"]);
    }

    [Fact]
    public void Parse_DoubleQuotedEscapes_ExpandNewlinesOnly()
    {
        var text = "D=\"line1\\nline2\"\nS='raw\\n'\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("line1\nline2", result["D"]);
        Assert.Equal("raw\\n", result["S"]);
    }

    [Fact]
    public void Parse_EscapedQuoteInsideDoubleQuotes_DoesNotEndValue()
    {
        var text = "Q=\"say \\\"hi\\\" now\"";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("say \\\"hi\\\" now", result["Q"]);
    }

    [Fact]
    public void Parse_QuotedValueSpanningLines_JoinsLines()
    {
        var text = "KEY=\"-----BEGIN\nabc\n-----END\"\nNEXT=1\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("-----BEGIN\nabc\n-----END", result["KEY"]);
        Assert.Equal("1", result["NEXT"]);
    }

    [Fact]
    public void Parse_DuplicateKey_LastWins()
    {
        var text = "A=1\nA=2\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal("2", result["A"]);
    }

    [Fact]
    public void Parse_LineWithoutEquals_IsIgnored()
    {
        var text = "JUSTTEXT\n=novalue\nOK=yes\n";

        var result = DotEnvFile.Parse(text);

        Assert.Equal(["OK"], result.Keys);
    }
}
