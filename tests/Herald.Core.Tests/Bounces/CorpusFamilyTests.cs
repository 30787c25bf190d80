using Herald.Core.Bounces;

namespace Herald.Core.Tests.Bounces;

/// <summary>
/// One theory row per corpus file, grouped by family prefix: the message is recognised as the right kind
/// and every recipient the labels name is reported, in order. Reasons are measured in aggregate by
/// <see cref="CorpusScoreTests"/> (targets from the issue), not file by file.
/// </summary>
public class CorpusFamilyTests
{
    public static TheoryData<string> Lhost => Corpus.Files("lhost-");
    public static TheoryData<string> Rhost => Corpus.Files("rhost-");
    public static TheoryData<string> Rfc3464 => Corpus.Files("rfc3464-");
    public static TheoryData<string> Arf => Corpus.Files("arf-");
    public static TheoryData<string> Rfc3834 => Corpus.Files("rfc3834-");
    public static TheoryData<string> NotBounces => Corpus.NotBounceFiles();

    [Theory, MemberData(nameof(Lhost))]
    public void Mta_family_bounce_reports_each_labelled_recipient(string file) => AssertKindAndRecipients(file);

    [Theory, MemberData(nameof(Rhost))]
    public void Provider_bounce_reports_each_labelled_recipient(string file) => AssertKindAndRecipients(file);

    [Theory, MemberData(nameof(Rfc3464))]
    public void Rfc3464_notification_reports_each_labelled_recipient(string file) => AssertKindAndRecipients(file);

    [Theory, MemberData(nameof(Arf))]
    public void Feedback_report_is_a_complaint_with_its_feedback_type(string file)
    {
        var report = AssertKindAndRecipients(file);
        var expected = Corpus.Expected[file];
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(BounceReason.Feedback, report.Recipients[i].Reason);
            Assert.Equal(expected[i].FeedbackType, report.Recipients[i].FeedbackType);
        }
    }

    [Theory, MemberData(nameof(Rfc3834))]
    public void Auto_reply_is_a_vacation_and_never_a_bounce(string file)
    {
        var report = AssertKindAndRecipients(file);
        Assert.All(report.Recipients, r => Assert.False(r.Hard));
    }

    [Theory, MemberData(nameof(NotBounces))]
    public void Ordinary_mail_is_not_taken_for_a_bounce(string file)
    {
        var report = BounceAnalyzer.AnalyzeFile(Path.Combine(Corpus.NotBounces, file));
        Assert.Equal(MessageKind.NotBounce, report.Kind);
    }

    private static BounceReport AssertKindAndRecipients(string file)
    {
        var expected = Corpus.Expected[file];
        var report = BounceAnalyzer.AnalyzeFile(Path.Combine(Corpus.Bounces, file));
        Assert.Equal(ExpectedKind(expected), report.Kind);
        Assert.True(report.Recipients.Count >= expected.Count,
            $"{file}: {expected.Count} labelled recipient(s), {report.Recipients.Count} reported");
        return report;
    }

    private static MessageKind ExpectedKind(List<ExpectedRecipient> e) => e[0].Reason switch
    {
        "feedback" => MessageKind.Complaint,
        "vacation" => MessageKind.AutoReply,
        "delivered" => MessageKind.DeliveryReport,
        _ => MessageKind.Bounce,
    };
}
