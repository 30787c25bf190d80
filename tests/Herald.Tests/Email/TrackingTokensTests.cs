using Herald.Email;

namespace Herald.Tests.Email;

/// <summary>The tracking tokens and the link enumeration that clicks are redirected by.</summary>
public class TrackingTokensTests
{
    private static readonly TrackingTokens Tokens = new("a-secret-of-some-length-0123456789");
    private static readonly DateTimeOffset Built = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000);

    [Fact]
    public void A_token_names_its_delivery_attempt_link_and_build_time()
    {
        var t = Tokens.For(123_456_789_012, 3, 7, Built)!;
        Assert.Equal(TrackingTokens.Length, t.Length);
        Assert.Equal(new TrackingTarget(123_456_789_012, 3, 7, 1_790_000_000), Tokens.Parse(t));
    }

    [Fact]
    public void A_token_shows_no_id_and_differs_per_link()
    {
        var open = Tokens.For(42, 1, 0, Built)!;
        Assert.DoesNotContain("42", open);
        Assert.NotEqual(open, Tokens.For(42, 1, 1, Built));
    }

    [Fact]
    public void Every_single_character_change_is_refused()
    {
        var t = Tokens.For(42, 1, 2, Built)!;
        for (var i = 0; i < t.Length; i++)
            foreach (var ch in "abcdefghijklmnopqrstuvwxyz234567".Where(c => c != t[i]))
                Assert.Null(Tokens.Parse(t[..i] + ch + t[(i + 1)..]));
    }

    [Fact]
    public void Another_secrets_token_is_refused() =>
        Assert.Null(new TrackingTokens("another-secret-of-some-length-0123").Parse(Tokens.For(42, 1, 0, Built)!));

    [Fact]
    public void Numbers_that_do_not_fit_make_no_token()
    {
        Assert.Null(Tokens.For(1L << 48, 1, 0, Built));
        Assert.Null(Tokens.For(1, 70_000, 0, Built));
        Assert.Null(Tokens.For(1, 1, 70_000, Built));
    }

    [Fact]
    public void Only_absolute_web_links_outside_herald_are_tracked_in_document_order()
    {
        const string html = """
            <a href="https://a.example/x?p=1&amp;q=2">A</a> <A HREF=http://b.example/>B</A> <a data-href="https://no.example">n</a>
            <a href="mailto:x@y.example">m</a> <a href="tel:+44">t</a> <a href="#top">#</a> <a href="/relative">r</a>
            <a href="javascript:alert(1)">j</a> <a href="https://herald.example/unsubscribe/t">u</a> <area href='https://c.example/map'>
            """;
        var links = TrackedHtml.Links(html, ["https://herald.example/unsubscribe/"]).Select(l => l.Url).ToList();
        Assert.Equal(["https://a.example/x?p=1&q=2", "http://b.example/", "https://c.example/map"], links);
    }

    [Fact]
    public void The_rewrite_replaces_each_link_with_its_numbered_click_and_adds_the_pixel_before_the_body_ends()
    {
        var html = TrackedHtml.Rewrite("""<body><a href="https://a.example/">A</a><a href="https://b.example/">B</a></body>""", [],
            n => $"https://h.example/c/{n}", "https://h.example/o/0")!;
        Assert.Equal("""<body><a href="https://h.example/c/1">A</a><a href="https://h.example/c/2">B</a>"""
            + """<img src="https://h.example/o/0" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" /></body>""", html);
    }
}
