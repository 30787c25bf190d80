using Herald.Email;
using Herald.Observability;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;

namespace Herald.Bounces;

/// <summary>The reader's state, for <c>/health</c>.</summary>
/// <param name="State"><c>starting</c>, <c>connected</c> or <c>retrying</c> (the last session failed; waiting out the back-off).</param>
/// <param name="ConsecutiveFailures">Sessions that failed since the last good one.</param>
/// <param name="LastError">Why the last session failed.</param>
/// <param name="NextTryAt">When a retrying reader connects again.</param>
/// <param name="LastCheckAt">When the reader last finished reading the folder.</param>
/// <param name="WaitsBy">How the connected reader waits for new mail: <c>idle</c> (the server pushes) or <c>polling</c>.</param>
public sealed record BounceMailboxStatus(string State, int ConsecutiveFailures, string? LastError, DateTimeOffset? NextTryAt,
    DateTimeOffset? LastCheckAt, string? WaitsBy = null);

/// <summary>
/// Reads the bounce mailbox over IMAP (<c>Herald:Email:Bounces:Imap</c>): every message in the folder goes through
/// <see cref="BounceMailProcessor"/> in UID order and is then moved to the processed folder, or to the unmatched
/// folder when it names no delivery or cannot be read. A message is moved only after its event is committed, so a
/// crash in between means it is read again, and the duplicate event changes nothing; nothing is ever deleted
/// unread. It waits with IDLE when the server offers it (re-issued every PollInterval), else polls. When the server
/// is unreachable or refuses the login it retries with exponential back-off (1 s doubling to 5 minutes).
/// </summary>
public sealed partial class BounceMailbox(BounceMailProcessor processor, EmailOptions options, TimeProvider time, ILogger<BounceMailbox> log)
    : BackgroundService
{
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMinutes(5);

    private readonly ImapOptions _o = options.Bounces.Imap;
    private readonly int _maxBytes = options.Bounces.MaxMessageBytes;
    private volatile BounceMailboxStatus _status = new("starting", 0, null, null, null);
    private int _arrived;

    /// <summary>What the reader is doing now.</summary>
    public BounceMailboxStatus Status => _status;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // Returns only by cancellation or an exception: a session reads until something breaks.
                await RunSessionAsync(() => failures = 0, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                failures++;
                HeraldMetrics.BounceMailboxFailures.Inc();
                HeraldMetrics.BounceMailboxConnected.Set(0);
                var delay = BackOff(failures);
                var error = $"{e.GetType().Name}: {e.Message}";
                _status = _status with { State = "retrying", ConsecutiveFailures = failures, LastError = error, NextTryAt = time.GetUtcNow() + delay };
                // The first failure with its stack trace; repeats briefly, so a long outage does not flood the log.
                if (failures == 1) LogSessionFailed(e, Endpoint, delay);
                else LogStillFailing(Endpoint, failures, error, delay);
                try { await Task.Delay(delay, time, stop); }
                catch (OperationCanceledException) { break; }
            }
        }
        HeraldMetrics.BounceMailboxConnected.Set(0);
    }

    /// <summary>1 s, 2 s, 4 s, … up to 5 minutes.</summary>
    internal static TimeSpan BackOff(int failures) =>
        TimeSpan.FromTicks(Math.Min(MaxBackOff.Ticks, FirstBackOff.Ticks << Math.Min(failures - 1, 20)));

    private string Endpoint => $"imap://{_o.Host}:{_o.Port}/{_o.Folder}";

    private async Task RunSessionAsync(Action connected, CancellationToken stop)
    {
        using var client = new ImapClient { Timeout = 60_000 };
        if (TrustedCertificate.CallbackFor(_o.TrustedCertificate) is { } trust) client.ServerCertificateValidationCallback = trust;
        try
        {
            // Host, Username and Password are checked at start-up (BounceOptions.Problems); the reader only runs with a Host.
            await client.ConnectAsync(_o.Host!, _o.Port, Security(_o.Security), stop);
            await client.AuthenticateAsync(_o.Username!, _o.Password!, stop);
            // MailKit uses only the capabilities left in this set (the operator's workaround for broken servers).
            foreach (var x in _o.DisableExtensions)
                client.Capabilities &= ~(x.ToUpperInvariant() switch
                {
                    "IDLE" => ImapCapabilities.Idle,
                    "MOVE" => ImapCapabilities.Move,
                    _ => ImapCapabilities.UidPlus,
                });
            var folder = await FolderAsync(client, _o.Folder, stop);
            var processed = await FolderAsync(client, _o.ProcessedFolder, stop);
            var unmatched = await FolderAsync(client, _o.UnmatchedFolder, stop);
            var oversized = await FolderAsync(client, _o.OversizedFolder, stop);
            await folder.OpenAsync(FolderAccess.ReadWrite, stop);
            connected();
            HeraldMetrics.BounceMailboxConnected.Set(1);
            var idle = client.Capabilities.HasFlag(ImapCapabilities.Idle);
            _status = new("connected", 0, _status.LastError, null, _status.LastCheckAt, idle ? "idle" : "polling");
            LogConnected(Endpoint, idle ? "IDLE" : $"polling every {_o.PollInterval}");

            CancellationTokenSource? done = null;
            // New mail during IDLE ends the IDLE at once; outside IDLE the flag makes the next round skip waiting.
            folder.CountChanged += (_, _) => { Interlocked.Exchange(ref _arrived, 1); done?.Cancel(); };
            while (true)
            {
                Interlocked.Exchange(ref _arrived, 0);
                await DrainAsync(client, folder, new Targets(processed, unmatched, oversized), stop);
                _status = _status with { LastCheckAt = time.GetUtcNow() };
                if (Volatile.Read(ref _arrived) == 1) continue;
                if (idle)
                {
                    // RFC 2177: a client should re-issue IDLE now and then; PollInterval bounds how long one lasts.
                    var wake = new CancellationTokenSource(_o.PollInterval, time);
                    done = wake;
                    try { if (Volatile.Read(ref _arrived) == 0) await client.IdleAsync(wake.Token, stop); }
                    finally { done = null; wake.Dispose(); }
                }
                else
                {
                    await Task.Delay(_o.PollInterval, time, stop);
                    await client.NoOpAsync(stop);
                }
            }
        }
        finally
        {
            if (client.IsConnected)
                try { await client.DisconnectAsync(true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); }
                catch (Exception e) when (e is not OutOfMemoryException) { /* the session is over either way */ }
        }
    }

    private sealed record Targets(IMailFolder Processed, IMailFolder Unmatched, IMailFolder Oversized);

    /// <summary>Every message now in the folder, oldest UID first: process, then move. A message larger than
    /// MaxMessageBytes is moved to the oversized folder unread, so it can neither exhaust memory nor stop the reader (it
    /// is no longer in the folder the next round reads); it stays on the server for a person to look at.</summary>
    private async Task DrainAsync(ImapClient client, IMailFolder folder, Targets to, CancellationToken stop)
    {
        var uids = await folder.SearchAsync(SearchQuery.NotDeleted, stop);
        if (uids.Count == 0) return;
        // RFC822.SIZE (RFC 3501 §6.4.5) for every message first: the size is known before a byte of the message is fetched.
        var sizes = (await folder.FetchAsync(uids, MessageSummaryItems.UniqueId | MessageSummaryItems.Size, stop))
            .Where(m => m.Size is not null).ToDictionary(m => m.UniqueId, m => (long)m.Size!.Value);
        foreach (var uid in uids.OrderBy(u => u.Id))
        {
            if (sizes.TryGetValue(uid, out var size) && size > _maxBytes)
            {
                await KeepOversizedAsync(client, folder, uid, $"{size} bytes (RFC822.SIZE)", to.Oversized, stop);
                continue;
            }
            byte[] raw;
            // BODY.PEEK[]<0.N>: at most one byte past the cap, without setting \Seen; a server that gave no size (or a
            // wrong one) still cannot make Herald read more.
            using (var stream = await folder.GetStreamAsync(uid, 0, _maxBytes + 1, stop))
            using (var copy = new MemoryStream())
            {
                await stream.CopyToAsync(copy, stop);
                raw = copy.ToArray();
            }
            if (raw.Length > _maxBytes)
            {
                await KeepOversizedAsync(client, folder, uid, "more than that (its first bytes were read)", to.Oversized, stop);
                continue;
            }
            var result = processor.Process(raw);
            var target = result.Handled ? to.Processed : to.Unmatched;
            await MoveAsync(client, folder, uid, target, stop);
            if (result.Handled) LogHandled(uid.Id, result.Summary, target.FullName);
            else LogKeptAside(uid.Id, result.Label, result.Summary, target.FullName);
        }
    }

    private async Task KeepOversizedAsync(ImapClient client, IMailFolder folder, UniqueId uid, string size, IMailFolder oversized, CancellationToken stop)
    {
        await MoveAsync(client, folder, uid, oversized, stop);
        HeraldMetrics.BounceMail.WithLabels("oversized").Inc();
        LogOversized(uid.Id, size, _maxBytes, oversized.FullName);
    }

    /// <summary>MOVE (RFC 6851) when offered; else COPY, \Deleted and EXPUNGE (UID EXPUNGE with UIDPLUS, so only
    /// this message goes). A crash between COPY and EXPUNGE leaves a copy in both: read again, a duplicate.</summary>
    private static async Task MoveAsync(ImapClient client, IMailFolder folder, UniqueId uid, IMailFolder target, CancellationToken stop)
    {
        if (client.Capabilities.HasFlag(ImapCapabilities.Move))
        {
            await folder.MoveToAsync(uid, target, stop);
            return;
        }
        await folder.CopyToAsync(uid, target, stop);
        await folder.StoreAsync(uid, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, stop);
        if (client.Capabilities.HasFlag(ImapCapabilities.UidPlus)) await folder.ExpungeAsync([uid], stop);
        else await folder.ExpungeAsync(stop);
    }

    /// <summary>The folder at a '/'-separated path, created (and subscribed, so mail clients show it) level by level
    /// when missing; the server's own hierarchy separator is used between levels.</summary>
    private static async Task<IMailFolder> FolderAsync(ImapClient client, string path, CancellationToken stop)
    {
        var levels = path.Split('/');
        var inbox = levels[0].Equals("INBOX", StringComparison.OrdinalIgnoreCase);
        var current = (inbox ? client.Inbox : client.GetFolder(client.PersonalNamespaces[0]))
            ?? throw new InvalidOperationException("the IMAP server offers no INBOX / personal namespace");
        var start = inbox ? 1 : 0;
        foreach (var name in levels.Skip(start))
        {
            IMailFolder? next = null;
            try { next = await current.GetSubfolderAsync(name, stop); }
            catch (FolderNotFoundException) { }
            if (next is null)
            {
                next = await current.CreateAsync(name, true, stop)
                    ?? throw new InvalidOperationException($"the IMAP server did not create folder '{name}' of '{path}'");
                await next.SubscribeAsync(stop);
            }
            current = next;
        }
        return current;
    }

    /// <summary>Start-up allows only <c>starttls</c> and <c>tls</c> here (the reader always logs in: BounceOptions.Problems);
    /// anything else is taken as TLS on connect rather than ever as clear text.</summary>
    private static SecureSocketOptions Security(string security) => security switch
    {
        "starttls" => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.SslOnConnect,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Bounce mailbox {Endpoint}: connected, waiting by {How}")]
    private partial void LogConnected(string endpoint, string how);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce mailbox {Endpoint}: session failed; retrying in {Delay}")]
    private partial void LogSessionFailed(Exception e, string endpoint, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce mailbox {Endpoint}: still failing ({Failures} in a row): {Error}; retrying in {Delay}")]
    private partial void LogStillFailing(string endpoint, int failures, string error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bounce mail UID {Uid}: {Summary}; moved to {Folder}")]
    private partial void LogHandled(uint uid, string summary, string folder);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Bounce mail UID {Uid} kept aside (oversized): {Size}, larger than Herald:Email:Bounces:MaxMessageBytes ({Max}); not read or parsed; moved to {Folder}")]
    private partial void LogOversized(uint uid, string size, int max, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bounce mail UID {Uid} kept aside ({Outcome}): {Summary}; moved to {Folder}")]
    private partial void LogKeptAside(uint uid, string outcome, string summary, string folder);
}
