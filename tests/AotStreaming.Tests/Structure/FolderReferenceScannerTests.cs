namespace AotStreaming.Structure;

public sealed class FolderReferenceScannerTests
{
    private static readonly string[] s_folders = ["Delivery", "Diagnostics", "Dispatch", "Routing"];

    [Fact]
    public void Scan_UsingDirectives_Counted()
    {
        const string Source = """
            using System.Threading.Channels;
            using AotStreaming.Delivery;
            using static AotStreaming.Diagnostics.PrometheusText;

            namespace AotStreaming.Dispatch;
            """;

        Assert.Equal(["Delivery", "Diagnostics"], FolderReferenceScanner.Scan(Source, "Dispatch", s_folders));
    }

    [Fact]
    public void Scan_QualifiedNames_CountedLikeUsings()
    {
        const string Source = """
            namespace AotStreaming.Dispatch;

            internal sealed class Worker(Diagnostics.StreamingMetrics metrics)
            {
                public object Index => new AotStreaming.Routing.SubscriptionIndex();
            }
            """;

        Assert.Equal(["Diagnostics", "Routing"], FolderReferenceScanner.Scan(Source, "Dispatch", s_folders));
    }

    [Fact]
    public void Scan_CommentsStringsAndForeignNamespaces_NotCounted()
    {
        const string Source = """
            using System.Diagnostics;

            namespace AotStreaming.Dispatch;

            /// <summary>Sends to <see cref="Delivery.Outbox"/>.</summary>
            internal sealed class Worker
            {
                // Routing.Router posts here.
                /* Diagnostics.StreamingMetrics */
                private const string Name = "Routing.Router";
                private const string Path = @"Delivery.Outbox ""quoted"" ";
                private const char Quote = '"';
                public long Now => System.Diagnostics.Stopwatch.GetTimestamp() + options.Delivery.Count;
            }
            """;

        Assert.Empty(FolderReferenceScanner.Scan(Source, "Dispatch", s_folders));
    }

    [Fact]
    public void Scan_OwnFolder_NotCounted()
    {
        const string Source = "namespace AotStreaming.Dispatch;\nusing AotStreaming.Dispatch;\nclass A { Dispatch.Dispatcher? d; }";

        Assert.Empty(FolderReferenceScanner.Scan(Source, "Dispatch", s_folders));
    }

    [Fact]
    public void FindCycles_TwoFoldersReferringToEachOther_NamesThePath()
    {
        var sources = new[]
        {
            ("Dispatch/Dispatcher.cs", "Dispatch", "using AotStreaming.Delivery;"),
            ("Delivery/ClientConnection.cs", "Delivery", "class C { Dispatch.DeferredDeliveries? d; }"),
            ("Routing/Router.cs", "Routing", "using AotStreaming.Dispatch;"),
        };
        var graph = new FolderGraph(sources.SelectMany(s =>
            FolderReferenceScanner.Scan(s.Item3, s.Item2, s_folders).Select(to => new FolderReference(s.Item1, s.Item2, to))));

        var cycle = Assert.Single(graph.FindCycles());

        Assert.Equal(["Delivery", "Dispatch", "Delivery"], cycle);
        Assert.Equal("Delivery → Dispatch (Delivery/ClientConnection.cs); Dispatch → Delivery (Dispatch/Dispatcher.cs)", graph.Describe(cycle));
    }

    [Fact]
    public void FindCycles_ChainWithoutCycle_FindsNone()
    {
        var graph = new FolderGraph(
        [
            new("Routing/Router.cs", "Routing", "Dispatch"),
            new("Dispatch/Dispatcher.cs", "Dispatch", "Delivery"),
            new("Routing/Router.cs", "Routing", "Delivery"),
        ]);

        Assert.Empty(graph.FindCycles());
    }

    [Fact]
    public void FindCycles_ThreeFolderCycle_Found()
    {
        var graph = new FolderGraph(
        [
            new("a.cs", "Routing", "Dispatch"),
            new("b.cs", "Dispatch", "Delivery"),
            new("c.cs", "Delivery", "Routing"),
        ]);

        Assert.Equal(["Delivery", "Routing", "Dispatch", "Delivery"], Assert.Single(graph.FindCycles()));
    }
}
