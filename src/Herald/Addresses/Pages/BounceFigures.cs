using Herald.Bounces;
using Herald.Email;
using Herald.Storage;

namespace Herald.Addresses.Pages;

/// <summary>
/// What Herald knows of bounce mail not yet turned into events, for the queue monitor; what it does not know stays
/// unknown (null) rather than shown as zero. The IMAP reader (<see cref="BounceMailbox"/>) reports its state but does not
/// count the messages waiting in the folder (it reads them all at each check) nor those it moved to the unmatched
/// folder; <c>herald bounces receive</c> keeps what it cannot match as files under <c>DATA/bounces/</c>, which can be
/// counted.
/// </summary>
/// <param name="Reader">The IMAP reader's state; null when no bounce mailbox is configured.</param>
/// <param name="Folder">The mailbox folder it reads, and where unmatched messages go (on the mail server).</param>
/// <param name="UnmatchedFiles">Messages kept aside in <c>DATA/bounces/unmatched/</c> (unmatched, unreadable, not a
/// bounce); <paramref name="LatestUnmatched"/>: when the newest was written.</param>
/// <param name="OversizedFiles">Heads of messages too large to read, in <c>DATA/bounces/oversized/</c>.</param>
public sealed record BounceFigures(BounceMailboxStatus? Reader, string? Folder, string? UnmatchedFolder, string UnmatchedPath,
    int UnmatchedFiles, DateTimeOffset? LatestUnmatched, string OversizedPath, int OversizedFiles)
{
    public static BounceFigures Read(IServiceProvider services)
    {
        var imap = services.GetRequiredService<EmailOptions>().Bounces.Imap;
        var reader = services.GetService<BounceMailbox>();
        var data = services.GetRequiredService<DataFolder>().Path;
        var unmatched = Path.Combine(data, "bounces", "unmatched");
        var oversized = Path.Combine(data, "bounces", "oversized");
        var (n, latest) = Count(unmatched);
        return new(reader?.Status, reader is null ? null : imap.Folder, reader is null ? null : imap.UnmatchedFolder,
            unmatched, n, latest, oversized, Count(oversized).Count);
    }

    /// <summary>Finished files only: a <c>.part</c> is one being written.</summary>
    private static (int Count, DateTimeOffset? Latest) Count(string folder)
    {
        if (!Directory.Exists(folder)) return (0, null);
        var files = new DirectoryInfo(folder).EnumerateFiles("*.eml").ToList();
        return (files.Count, files.Count == 0 ? null : new DateTimeOffset(files.Max(f => f.LastWriteTimeUtc), TimeSpan.Zero));
    }
}
