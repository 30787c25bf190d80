using System.Text;
using Herald.Core.Bounces;
using MimeKit;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// Herald's bounce reader finds a message's parts itself instead of building MimeKit's objects (for speed). These tests
/// hold it to what MimeKit finds on every real bounce in the corpus and every sample, and pin the edge cases where RFC
/// 2046 leaves room: a wrong reading here would hand the analysis the wrong text and fail the wrong address.
/// </summary>
public class RawMimeTests
{
    public static TheoryData<string> Messages()
    {
        var data = new TheoryData<string>();
        var samples = Path.Combine(AppContext.BaseDirectory, "Bounces", "Samples");
        foreach (var f in Directory.EnumerateFiles(Corpus.Bounces, "*.eml").Concat(Directory.EnumerateFiles(Corpus.NotBounces, "*.eml"))
                     .Concat(Directory.EnumerateFiles(samples, "*.eml")).Order(StringComparer.Ordinal))
            data.Add(f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_corpus_and_sample_message_has_the_parts_text_and_returned_headers_MimeKit_finds(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var mime = MimeMessage.Load(new MemoryStream(bytes));
        var raw = RawMessage.Parse(bytes);

        Assert.Equal(mime.Subject ?? "", raw.Subject ?? "");
        Assert.Equal(mime.From.Mailboxes.FirstOrDefault()?.Address, raw.FromAddress);
        // Every field's decoded value, as MimeKit gives it (MimeKit files Content-* fields under the body, and keeps
        // lines that are not fields as fields with white space in the name: both left out of the comparison).
        var ours = Enumerable.Range(0, raw.Headers.Count).Where(i => !raw.Headers.Field(i).StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            .Select(i => $"{raw.Headers.Field(i)}: {raw.Headers.Value(i)}");
        var theirs = mime.Headers.Where(h => !h.Field.Any(c => c <= ' ' || c >= 127)).Select(h => $"{h.Field}: {h.Value}");
        Assert.Equal(theirs, ours);

        var expected = MimeLeaves(mime).ToList();
        var got = MessageText.Leaves(raw);
        Assert.Equal(expected.Select(Describe), got.Select(Describe));
        for (int i = 0; i < expected.Count; i++)
        {
            switch (expected[i])
            {
                case TextPart t:
                    Assert.Equal(Normalise(Decoded(t)), Normalise(MessageText.Read(got[i])));
                    break;
                case MessagePart { Message: { } inner }:
                    Assert.Equal(inner.MessageId, got[i].Message!.MessageId);
                    Assert.Equal(inner.To.Mailboxes.FirstOrDefault()?.Address, got[i].Message!.FirstToAddress);
                    var h = got[i].Message!.Headers;
                    // MimeKit files the Content-* fields under the body entity rather than the message.
                    // MimeKit also keeps lines that are not fields ("s=selector1;" in a header) as fields of that name;
                    // Herald drops them (RFC 5322 §2.2 field names have no white space).
                    Assert.Equal(inner.Headers.Select(x => x.Field).Where(f => !f.Any(c => c <= ' ' || c >= 127)),
                        Enumerable.Range(0, h.Count).Select(h.Field).Where(f => !f.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)));
                    break;
            }
        }
    }

    // The text as Herald decodes it from MimeKit's decoded bytes (same charset rule), so the comparison is of structure
    // and transfer decoding, not of two charset libraries.
    private static string Decoded(TextPart t)
    {
        if (t.Content is null) return "";
        using var stream = new MemoryStream();
        t.Content.DecodeTo(stream);
        var charset = t.ContentType.Charset;
        Encoding encoding;
        try { encoding = string.IsNullOrWhiteSpace(charset) ? new UTF8Encoding(false, false) : Encoding.GetEncoding(charset.Trim().Trim('"')); }
        catch (Exception) { encoding = new UTF8Encoding(false, false); }
        var s = encoding.GetString(stream.ToArray());
        return s.Length > MessageText.MaxTextChars ? s[..MessageText.MaxTextChars] : s;
    }

    private static string Normalise(string s) => s.Replace("\r\n", "\n");

    private static string Describe(MimeEntity e) => $"{Kind(e)} {e.ContentType.MediaType.ToLowerInvariant()}/{e.ContentType.MediaSubtype.ToLowerInvariant()}";
    private static string Describe(RawPart p) => $"{p.Kind} {p.MediaType.ToLowerInvariant()}/{p.MediaSubtype.ToLowerInvariant()}";

    private static RawKind Kind(MimeEntity e) => e switch
    {
        Multipart => RawKind.Multipart,
        MessagePart => RawKind.Message,
        TextPart => RawKind.Text,
        _ => RawKind.Leaf,
    };

    private static IEnumerable<MimeEntity> MimeLeaves(MimeMessage m)
    {
        var list = new List<MimeEntity>();
        void Walk(MimeEntity e, int depth)
        {
            if (list.Count >= MessageText.MaxParts || depth > MessageText.MaxDepth) return;
            if (e is Multipart mp)
            {
                if (mp.Count == 0) { list.Add(mp); return; }
                foreach (var c in mp) Walk(c, depth + 1);
                return;
            }
            list.Add(e);
        }
        if (m.Body is { } b) Walk(b, 0);
        return list;
    }

    private static RawMessage Parse(string text) => RawMessage.Parse(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void A_boundary_line_may_end_in_white_space_and_the_newline_before_it_belongs_to_the_boundary()
    {
        var m = Parse("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n--b  \r\nContent-Type: text/plain\r\n\r\nfirst\r\n--b\t\r\n\r\nsecond\r\n--b--\r\nepilogue\r\n");
        var leaves = MessageText.Leaves(m);
        Assert.Equal(["first", "second"], leaves.Select(p => MessageText.Read(p)));
        Assert.Equal("preamble", m.Body!.Preamble);
    }

    [Fact]
    public void An_enclosing_boundary_ends_an_inner_multipart_whose_own_end_is_missing()
    {
        var m = Parse("Content-Type: multipart/report; report-type=delivery-status; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\nContent-Type: text/plain\n\nreport text\n--outer\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.org\nStatus: 5.1.1\n--outer--\n");
        var leaves = MessageText.Leaves(m);
        Assert.Equal(["Text text/plain", "Leaf message/delivery-status"], leaves.Select(p => $"{p.Kind} {p.MediaType}/{p.MediaSubtype}"));
        Assert.Equal("report text", MessageText.Read(leaves[0]));
        Assert.Contains("Status: 5.1.1", MessageText.Read(leaves[1]));
    }

    [Fact]
    public void Report_fields_written_without_the_blank_line_become_the_parts_header_and_are_still_there_to_read()
    {
        var m = Parse("Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: message/delivery-status\nReporting-MTA: dns; mx.example.org\nFinal-Recipient: rfc822; gone@example.org\n\nAction: failed\n--b--\n");
        var part = MessageText.Leaves(m).Single();
        Assert.Equal("dns; mx.example.org", part.Headers["Reporting-MTA"]);
        Assert.Equal("rfc822; gone@example.org", part.Headers["Final-Recipient"]);
        Assert.Equal("Action: failed", MessageText.Read(part));
    }

    [Fact]
    public void An_mbox_From_line_and_lines_that_are_not_fields_do_not_end_the_header()
    {
        var m = Parse("From MAILER-DAEMON Tue Jun 11 19:13:34 2024\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.org>\nnot a field\n continued\nSubject: Undelivered Mail\n\nbody\n");
        Assert.Equal("MAILER-DAEMON@mx.example.org", m.FromAddress);
        Assert.Equal("Undelivered Mail", m.Subject);
        Assert.Equal(2, m.Headers.Count);
        Assert.Equal("body\n", MessageText.Read(MessageText.Leaves(m).Single()));
    }

    [Fact]
    public void Encoded_words_folded_headers_base64_and_quoted_printable_are_decoded()
    {
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes("Die Adresse gibt es nicht: schüler@example.de"));
        var m = Parse("Subject: =?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("Unzustellbar: Rückmeldung")) + "?=\n" +
                      "X-Failed-Recipients: a@example.org,\n b@example.org\n" +
                      "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + body +
                      "\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nsch=FCler@example.de: 550 5.1.1 unknown =\nuser\n--b--\n");
        Assert.Equal("Unzustellbar: Rückmeldung", m.Subject);
        Assert.Equal("a@example.org, b@example.org", m.Headers["x-failed-recipients"]);
        var leaves = MessageText.Leaves(m);
        Assert.Equal("Die Adresse gibt es nicht: schüler@example.de", MessageText.Read(leaves[0]));
        Assert.Equal("schüler@example.de: 550 5.1.1 unknown user", MessageText.Read(leaves[1]));
    }

    [Fact]
    public void A_returned_message_is_read_from_its_part_and_a_transfer_encoded_one_stays_opaque()
    {
        var m = Parse("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nTo: parent@example.org\nMessage-ID: <trip.1@school.example>\n\nhello\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nVG86IHhAeQ==\n--b--\n");
        var leaves = MessageText.Leaves(m);
        Assert.Equal(RawKind.Message, leaves[0].Kind);
        Assert.Equal("trip.1@school.example", leaves[0].Message!.MessageId);
        Assert.Equal("parent@example.org", leaves[0].Message!.FirstToAddress);
        Assert.Equal(RawKind.Leaf, leaves[1].Kind);
        Assert.Null(leaves[1].Message);
    }

    [Fact]
    public void An_unintelligible_content_type_is_read_as_plain_text_as_RFC_2045_recommends()
    {
        // MimeKit makes such a part application/octet-stream; a bounce's text must stay readable (RFC 2045 §5.2).
        var m = Parse("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: =ext/plain\n\nold.governor@gw.example.com (user not found)\n--b--\n");
        var part = MessageText.Leaves(m).Single();
        Assert.Equal(RawKind.Text, part.Kind);
        Assert.Equal("old.governor@gw.example.com (user not found)", MessageText.Read(part));
    }

    [Fact]
    public void A_multipart_whose_boundary_never_occurs_keeps_its_lines_in_the_preamble()
    {
        var m = Parse("From: MAILER-DAEMON@mx.example.org\nContent-Type: multipart/report; boundary=\"missing\"\n\nThe following address failed:\n  gone@example.org\n");
        var leaves = MessageText.Leaves(m);
        Assert.Equal(RawKind.Multipart, leaves.Single().Kind);
        Assert.Contains("gone@example.org", MessageText.HumanText(m, leaves));
    }
}
