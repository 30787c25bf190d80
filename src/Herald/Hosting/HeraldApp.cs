using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Addresses.Pages;
using Herald.Addresses;
using Herald.Announcements;
using Herald.Announcements.Pages;
using Herald.Bounces;
using Herald.Contacts;
using Herald.Contacts.Pages;
using Herald.Dispatch;
using Herald.Email;
using Herald.Deliveries;
using Herald.Events;
using Herald.Http;
using Herald.Observability;
using Herald.Reports;
using Herald.Reports.Pages;
using Herald.Sandbox;
using Herald.Schools;
using Herald.Sms;
using Herald.Staff;
using Herald.Storage;
using Herald.Tracking;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Prometheus;
using Scalar.AspNetCore;

namespace Herald.Hosting;

/// <summary>Builds Herald's web host: one AddX/MapX pair per capability.</summary>
public static class HeraldApp
{
    /// <summary>Builds the app. <paramref name="configure"/> lets tests add settings; <paramref name="time"/> a fake clock.</summary>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configure = null, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder.Configuration);
        var options = LoadOptions(builder.Configuration);
        var management = options.ManagementListeners();
        builder.WebHost.UseUrls([.. options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            .. management.Select(u => u.ToString())]);
        // The server-wide ceiling is the largest route's need; each route has its own, smaller limit (UseBodyLimits).
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = BodyLimits.Largest);
        // On SIGTERM/SIGINT the dispatcher lets sends on the wire finish and records them; the host waits that long.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Dispatch.ShutdownTimeout);
        builder.Services.AddHeraldCore(builder.Configuration, time);
        builder.Services.AddDispatchWorker();
        builder.Services.AddTracking();
        builder.Services.AddBounceMailbox(options.Email);
        builder.Services.AddApiAuthentication(management.Select(u => u.Port).ToList());
        builder.Services.AddApiRateLimit(options.Api.RateLimit);
        builder.Services.AddStaffSignIn();
        builder.Services.AddOpenApi(ApiReference.Describe);
        builder.Services.AddProblemDetails();
        // Unreadable bodies reach the exception handler, which names the problem (the default answers a bare 400).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(o => HttpJson.Configure(o.SerializerOptions));

        var app = builder.Build();
        app.Services.GetRequiredService<Database>().Migrate(m => app.Logger.LogInformation("{Migration}", m));
        app.UseExceptionHandler(e => e.Run(WriteProblem));
        app.UseStatusCodePages();
        // Authentication and authorization are middleware: a request without a valid key is answered before its body is
        // read (and before its size is judged, so a stranger learns nothing about the limits). The body limits and the rate
        // limiter come after them: limits per route, the rate counted per key, and unauthenticated noise costs neither.
        app.UseAuthentication();
        app.UseAuthorization();
        // Pages speak the reader's language; the API and the callbacks stay in the invariant culture (their answers are
        // for programs, and a number or date must not change shape with a caller's Accept-Language).
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/api"), pages => pages.UsePageLanguage());
        app.UseAntiforgery();
        app.UseBodyLimits();
        app.UseRateLimiter();
        // Operations: details for an operator key, or for anyone on a management listener (Herald:ManagementUrls).
        app.MapOpenApi().RequireAuthorization(ApiAuth.ManagementPolicy);
        app.MapScalarApiReference().RequireAuthorization(ApiAuth.ManagementPolicy);
        app.MapMetrics().RequireAuthorization(ApiAuth.ManagementPolicy);
        app.MapHealth();
        // Providers cannot send a key: Kannel's reports carry a signed URL, Twilio's callbacks a signature over the
        // request; each endpoint checks its own before it reads anything else.
        var callbacks = app.MapGroup("").AllowAnonymous();
        callbacks.MapKannelDlr();
        callbacks.MapTwilioStatus();
        // Recipients' unsubscribe link: the signed token in the URL is the credential (RFC 8058 one-click, and its page).
        callbacks.MapUnsubscribe();
        callbacks.MapTracking();
        app.MapStaffSignIn();
        app.MapSetPassword();
        app.MapReportPages();
        app.MapComposerPages();
        app.MapResendPages();
        app.MapContactPages();
        app.MapSupportConsole();
        var api = app.MapGroup("/api/v1").RequireAuthorization(ApiAuth.SchoolPolicy).RequireRateLimiting(ApiRateLimit.Policy);
        api.MapContacts();
        api.MapAnnouncements();
        api.MapEvents();
        return app;
    }

    /// <summary>Binds and validates the options, failing with every problem named.</summary>
    public static HeraldOptions LoadOptions(IConfiguration config)
    {
        var o = new HeraldOptions();
        // Modes are enums: name the setting and its choices rather than the binder's type conversion error.
        foreach (var (key, names) in new[] { ("Email", Enum.GetNames<EmailTransportMode>()), ("Sms", Enum.GetNames<SmsTransportMode>()) })
            if (config[$"{HeraldOptions.Section}:Transport:{key}"] is { } mode && !names.Contains(mode.Trim(), StringComparer.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"Invalid Herald settings:\n  Herald:Transport:{key}: '{mode}' is not one of {string.Join(", ", names.Select(n => n.ToLowerInvariant()))}");
        try { config.GetSection(HeraldOptions.Section).Bind(o); }
        catch (InvalidOperationException e) { throw new InvalidOperationException($"Invalid Herald setting: {e.Message}", e); }
        o.Compose();
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        foreach (var (obj, prefix) in new object[] { o, o.Database, o.Sender, o.Dispatch, o.Transport, o.Api.RateLimit }
                     .Zip(["Herald", "Herald:Database", "Herald:Sender", "Herald:Dispatch", "Herald:Transport", "Herald:Api:RateLimit"]))
        {
            var r = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(obj, new(obj), r, validateAllProperties: true);
            results.AddRange(r.Select(x => new System.ComponentModel.DataAnnotations.ValidationResult($"{prefix}:{string.Join(",", x.MemberNames)}: {x.ErrorMessage}")));
        }
        results.AddRange(o.Sms.Problems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        results.AddRange(o.ManagementProblems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        results.AddRange(o.Api.RateLimit.Problems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        results.AddRange(o.LeaseProblems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        results.AddRange(o.Email.TrackingProblems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        results.AddRange(o.Email.Bounces.LimitProblems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        if (o.Transport.Email == EmailTransportMode.Smtp)
            results.AddRange(o.Email.Problems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        // The bounce mailbox reader runs whatever the transport (bounces of mail sent by another path still come back).
        else if (!string.IsNullOrWhiteSpace(o.Email.Bounces.Imap.Host))
            results.AddRange(o.Email.Bounces.Problems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        if (results.Count > 0) throw new InvalidOperationException("Invalid Herald settings:\n  " + string.Join("\n  ", results.Select(r => r.ErrorMessage)));
        return o;
    }

    /// <summary>The services shared by the web host and the CLI.</summary>
    public static IServiceCollection AddHeraldCore(this IServiceCollection services, IConfiguration config, TimeProvider? time = null)
    {
        var options = LoadOptions(config);
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(options);
        services.AddSingleton(time ?? TimeProvider.System);
        // Each capability gets its own settings, not the whole tree.
        services.AddSingleton(options.Database);
        services.AddSingleton(options.Sender);
        services.AddSingleton(options.Sms);
        services.AddSingleton(options.Email);
        services.AddSingleton(new DataFolder(options.DataDirectory));
        services.AddSingleton(Database.FromOptions(options.Database, options.DataDirectory));
        services.AddSchools();
        services.AddStaff();
        services.AddContacts();
        services.AddAnnouncements();
        services.AddDeliveries(new LedgerOptions(options.Email.DelayedSettleAfter));
        services.AddReports();
        services.AddAddresses();
        services.AddSingleton<MessageTracking>();
        services.AddSingleton<MessageBuilder>();
        services.AddSingleton(new SandboxTransport(options.DataDirectory));
        services.AddEmailTransport(options);
        services.AddSmsTransport(options);
        services.AddDispatch(options.Dispatch);
        services.AddBounces();
        services.AddLogging();
        return services;
    }


    private static void MapHealth(this WebApplication app)
    {
        // Public and minimal, for load balancers and uptime checks: whether Herald is healthy, nothing about its data.
        app.MapGet("/health", (ReportQueries q) =>
            TypedResults.Ok(new PublicHealth(q.QueuedTooLong().Count > 0 ? "degraded" : "healthy")))
            .AllowAnonymous().WithTags("Operations").WithSummary("Health: healthy, or degraded when deliveries are queued too long");
        app.MapGet("/health/details", (ReportQueries q, Database db, IServiceProvider services) =>
        {
            var (stuck, oldest) = q.QueuedTooLong();
            HeraldMetrics.QueuedTooLong.Set(stuck);
            var status = stuck > 0 ? "degraded" : "healthy";
            // A bounce mailbox that is down does not degrade sending: its mail waits on the server until it is back.
            var mailbox = services.GetService<BounceMailbox>()?.Status;
            return TypedResults.Ok(new Health(status, db.Provider.ToString().ToLowerInvariant(), stuck, oldest, mailbox));
        }).RequireAuthorization(ApiAuth.ManagementPolicy).WithTags("Operations")
          .WithSummary("Health in detail: the database, deliveries queued longer than the alert threshold, the bounce mailbox (operator key or management listener)");
        QueuedTooLongScrape.Track(app);
    }

    /// <summary>Sets the queued-too-long gauge at each scrape. prometheus-net's callbacks cannot be removed, so one is
    /// registered per process and asks only the apps still running: an app built and disposed (tests build hundreds)
    /// must not be asked, or each scrape would open a connection to every database it ever used.</summary>
    private static class QueuedTooLongScrape
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<WebApplication, byte> Running = new();

        static QueuedTooLongScrape() => Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var app in Running.Keys)
            {
                try { HeraldMetrics.QueuedTooLong.Set(app.Services.GetRequiredService<ReportQueries>().QueuedTooLong().Count); }
                catch (Exception) { /* a scrape must not fail because the database is briefly busy */ }
            }
        });

        public static void Track(WebApplication app)
        {
            app.Lifetime.ApplicationStarted.Register(() => Running.TryAdd(app, 0));
            app.Lifetime.ApplicationStopping.Register(() => Running.TryRemove(app, out _));
        }
    }

    /// <summary>Turns unreadable requests into problem+json naming the field and the problem (never a stack trace, never
    /// a .NET type: see <see cref="RequestProblems"/>); a body over its route's limit is 413 naming the limit.</summary>
    private static async Task WriteProblem(HttpContext http)
    {
        var feature = http.Features.Get<IExceptionHandlerFeature>();
        IResult answer = feature?.Error switch
        {
            BadHttpRequestException { StatusCode: 413 } => BodyLimits.TooLarge(BodyLimits.LimitOf(feature.Endpoint)),
            BadHttpRequestException { InnerException: JsonException j } => RequestProblems.Json(j),
            JsonException j => RequestProblems.Json(j),
            BadHttpRequestException b => RequestProblems.Refused(b),
            _ => TypedResults.Problem("internal error; the details are in Herald's log", statusCode: 500),
        };
        await answer.ExecuteAsync(http);
    }
}

/// <summary>The public health answer: <c>healthy</c> or <c>degraded</c>.</summary>
public sealed record PublicHealth(string Status);

/// <summary>The health answer in detail.</summary>
/// <param name="BounceMailbox">The bounce mailbox reader's state; null when no bounce mailbox is configured.</param>
public sealed record Health(string Status, string Database, long QueuedTooLong, DateTimeOffset? OldestQueuedSince,
    Herald.Bounces.BounceMailboxStatus? BounceMailbox = null);
