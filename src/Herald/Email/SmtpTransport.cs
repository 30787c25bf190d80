using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Herald.Core.Deliveries;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Herald.Email;

/// <summary>
/// Submits each delivery as its own message to one SMTP relay (MailKit). Connections are kept open and reused, at most
/// <see cref="SmtpRelayOptions.Connections"/> at once; each recipient domain gets at most
/// <see cref="SmtpRelayOptions.PerDomainConnections"/> of them and optionally a rate, so a slow or throttling domain
/// waits on its own gate while the other domains keep the remaining connections busy.
/// The envelope sender is the delivery's signed VERP address, so asynchronous bounces find their delivery.
/// </summary>
public sealed partial class SmtpTransport : IEmailTransport, IAsyncDisposable
{
    /// <summary>A reused connection idle longer than this gets a NOOP first: relays close idle sessions, and finding
    /// that out in the middle of a message would cost that delivery a retry.</summary>
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(5);

    /// <summary>Refusals after which a session is closed rather than reused: relays tarpit sessions that keep failing
    /// (Postfix sleeps before every reply past <c>smtpd_soft_error_limit</c>, then hangs up), which would slow the good
    /// messages that follow on the same connection.</summary>
    private const int RefusalsPerConnection = 3;

    private sealed class Connection
    {
        public readonly ResettableSmtpClient Client = new();
        public int Messages;
        public int Refusals;
        public long LastUsedTicks = Environment.TickCount64;
    }

    private sealed class DomainGate(SemaphoreSlim slots, RateLimiter? rate)
    {
        public SemaphoreSlim Slots { get; } = slots;
        public RateLimiter? Rate { get; } = rate;
    }

    private readonly SmtpRelayOptions _o;
    private readonly VerpAddress _verp;
    private readonly DkimSigning? _dkim;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<Connection> _idle = [];
    private readonly ConcurrentDictionary<string, DomainGate> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly SecureSocketOptions _security;
    private readonly System.Net.Security.RemoteCertificateValidationCallback? _trust;

    public SmtpTransport(EmailOptions options, DkimSigning? dkim, TimeProvider time, ILogger<SmtpTransport> log)
    {
        _o = options.Smtp;
        _verp = new VerpAddress(options.Bounces.LocalPart, options.Bounces.Domain!, options.Bounces.TokenSecret!, options.Bounces.PreviousTokenSecrets);
        _dkim = dkim;
        _time = time;
        _log = log;
        _slots = new SemaphoreSlim(_o.Connections, _o.Connections);
        _trust = TrustedCertificate.CallbackFor(_o.TrustedCertificate);
        _security = _o.EffectiveSecurity switch
        {
            "none" => SecureSocketOptions.None,
            "starttls" => SecureSocketOptions.StartTls,
            "tls" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTlsWhenAvailable,
        };
    }

    /// <summary>The transport queues by domain and connection itself, so the dispatcher may hand it a whole batch at once.</summary>
    public int MaxInFlight => int.MaxValue;

    public int Connections => _o.Connections;

    public async Task<TransportResult> SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        var domain = DomainOf(email.Recipient);
        var gate = _domains.GetOrAdd(domain, _ => NewGate());
        // Domain first, then a relay connection: a message waiting for its domain must not hold a connection.
        await gate.Slots.WaitAsync(ct);
        try
        {
            using var lease = gate.Rate is null ? null : await gate.Rate.AcquireAsync(1, ct);
            await _slots.WaitAsync(ct);
            try
            {
                if (PastDeadline(email)) return TransportResult.NotAttempted($"a relay connection (domain {domain})");
                return await SendOnConnectionAsync(email);
            }
            finally { _slots.Release(); }
        }
        finally { gate.Slots.Release(); }
    }

    /// <summary>Sends on a pooled connection. Deliberately not cancellable: once a message is on the wire, abandoning it
    /// would leave its outcome unknown; every command is bounded by <see cref="SmtpRelayOptions.Timeout"/> instead.</summary>
    private async Task<TransportResult> SendOnConnectionAsync(OutgoingEmail email)
    {
        var conn = await TakeConnectionAsync();
        if (conn.Result is not null) return conn.Result;
        var c = conn.Connection!;
        // Only a session known to be between transactions goes back to the pool.
        var keep = false;
        try
        {
            // Checked again once the connection is held: connecting, TLS and AUTH can take several timeouts, and
            // only the message's own commands are covered by the time the claim keeps in reserve.
            if (email.Starting is { } starting && !await starting())
            {
                keep = true;
                return TransportResult.NotAttempted("a relay connection before Herald shut down");
            }
            if (PastDeadline(email))
            {
                keep = true;
                return TransportResult.NotAttempted("a relay connection");
            }
            _dkim?.Sign(email.Message);
            var reply = await c.Client.SendAsync(FormatOptions.Default, email.Message,
                MailboxAddress.Parse(_verp.For(email.DeliveryId, email.Attempt)), [new MailboxAddress("", email.Recipient)]);
            c.Messages++;
            keep = true;
            // The relay took the message (250 after DATA): it is sent, whatever happens to the connection afterwards.
            return SmtpReplies.Map(250, string.IsNullOrWhiteSpace(reply) ? "OK" : reply);
        }
        catch (SmtpCommandException e)
        {
            // 421 means the relay is closing the session; anything else leaves it usable once reset.
            keep = e.StatusCode != SmtpStatusCode.ServiceNotAvailable && ++c.Refusals < RefusalsPerConnection && await ResetAsync(c);
            return SmtpReplies.Map((int)e.StatusCode, e.Message, senderRefused: e.ErrorCode == SmtpErrorCode.SenderNotAccepted);
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException or TimeoutException or OperationCanceledException)
        {
            // The connection broke before the relay answered the data: not accepted as far as Herald can know, so it is
            // retried. (If it broke after the relay queued the message but before its 250 arrived, the retry sends a
            // second copy: the unavoidable window of RFC 1047; docs/email.md.)
            LogConnectionLost(e, email.DeliveryId);
            return SmtpReplies.Unreachable($"connection lost before the message was accepted: {e.Message}");
        }
        finally
        {
            if (keep && c.Client.IsConnected) { c.LastUsedTicks = Environment.TickCount64; _idle.Add(c); }
            else await CloseAsync(c);
        }
    }

    /// <summary>The dispatcher's claim keeps only enough time after SendBy for the message's own commands; past it,
    /// another worker may take the delivery over, so starting now could send it twice.</summary>
    private bool PastDeadline(OutgoingEmail email) => email.SendBy is { } by && _time.GetUtcNow() > by;

    private async Task<(Connection? Connection, TransportResult? Result)> TakeConnectionAsync()
    {
        while (_idle.TryTake(out var c))
        {
            if (c.Client.IsConnected && c.Messages < _o.MessagesPerConnection
                && (Environment.TickCount64 - c.LastUsedTicks < IdleCheck.TotalMilliseconds || await NoOpAsync(c)))
                return (c, null);
            await CloseAsync(c);
        }
        var fresh = new Connection();
        fresh.Client.Timeout = (int)_o.Timeout.TotalMilliseconds;
        if (!string.IsNullOrWhiteSpace(_o.LocalDomain)) fresh.Client.LocalDomain = _o.LocalDomain;
        if (_trust is not null) fresh.Client.ServerCertificateValidationCallback = _trust;
        try
        {
            // Our own socket, to turn Nagle off: SMTP writes a pipelined command group and then waits for the reply, and
            // Nagle plus delayed ACKs would hold those small writes back by tens of milliseconds each.
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var connectTimeout = new CancellationTokenSource(_o.Timeout);
                await socket.ConnectAsync(_o.Host!, _o.Port, connectTimeout.Token);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            // With starttls (required) MailKit throws here when the relay offers no STARTTLS, before any AUTH: the password
            // never goes out on a connection that is not encrypted (start-up refuses credentials with weaker settings).
            await fresh.Client.ConnectAsync(socket, _o.Host!, _o.Port, _security);
            if (!string.IsNullOrEmpty(_o.Username)) await fresh.Client.AuthenticateAsync(_o.Username, _o.Password ?? "");
            return (fresh, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Refused, unreachable, TLS or login failure: the relay's (or the settings') problem, never the address's.
            fresh.Client.Dispose();
            LogRelayUnreachable(e, _o.Host, _o.Port);
            var what = e switch
            {
                AuthenticationException => "login refused",
                SslHandshakeException => "TLS handshake failed",
                // MailKit's answer when StartTls is required and the EHLO reply lists no STARTTLS.
                NotSupportedException when _security == SecureSocketOptions.StartTls => "the relay offers no STARTTLS (Security is starttls; nothing was sent)",
                _ => "cannot connect",
            };
            return (null, SmtpReplies.Unreachable($"{what} ({_o.Host}:{_o.Port}): {e.Message}"));
        }
    }

    private static async Task<bool> NoOpAsync(Connection c)
    {
        try { await c.Client.NoOpAsync(); return true; }
        catch (Exception e) when (e is not OutOfMemoryException) { return false; }
    }

    private static async Task<bool> ResetAsync(Connection c)
    {
        // RSET before reusing the session, so the next message does not start inside this one's failed transaction.
        try { return await c.Client.ResetAsync() && c.Client.IsConnected; }
        catch (Exception e) when (e is not OutOfMemoryException) { return false; }
    }

    private static async Task CloseAsync(Connection c)
    {
        try { if (c.Client.IsConnected) await c.Client.DisconnectAsync(true); }
        catch (Exception e) when (e is not OutOfMemoryException) { /* the session is being dropped anyway */ }
        c.Client.Dispose();
    }

    private DomainGate NewGate()
    {
        RateLimiter? rate = null;
        if (_o.PerDomainPerSecond > 0)
        {
            // Below 10 per second: one token per 1/rate seconds; above: tokens in tenths of a second. Never a burst
            // larger than one period's worth, which is what a receiving server's rate limit counts.
            var (tokens, period) = _o.PerDomainPerSecond < 10
                ? (1, TimeSpan.FromSeconds(1 / _o.PerDomainPerSecond))
                : ((int)Math.Ceiling(_o.PerDomainPerSecond / 10), TimeSpan.FromMilliseconds(100));
            rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = tokens, TokensPerPeriod = tokens, ReplenishmentPeriod = period,
                QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst, AutoReplenishment = true,
            });
        }
        return new DomainGate(new SemaphoreSlim(_o.PerDomainConnections, _o.PerDomainConnections), rate);
    }

    private static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..].Trim().ToLowerInvariant();
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var c)) await CloseAsync(c);
        foreach (var g in _domains.Values) g.Rate?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP relay {Host}:{Port} unreachable; deliveries stay queued for retry")]
    private partial void LogRelayUnreachable(Exception e, string? host, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP connection lost while sending delivery {DeliveryId}; it will be retried")]
    private partial void LogConnectionLost(Exception e, long deliveryId);
}

/// <summary>MailKit's client with an explicit RSET, which it keeps protected.</summary>
internal sealed class ResettableSmtpClient : SmtpClient
{
    /// <summary>Sends RSET; true when the relay answered 250.</summary>
    public async Task<bool> ResetAsync() => (await SendCommandAsync("RSET")).StatusCode == SmtpStatusCode.Ok;
}
