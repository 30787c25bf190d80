using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Addresses;
using Herald.Announcements;
using Herald.Bounces;
using Herald.Contacts;
using Herald.Dispatch;
using Herald.Email;
using Herald.Deliveries;
using Herald.Events;
using Herald.Http;
using Herald.Observability;
using Herald.Reports;
using Herald.Sandbox;
using Herald.Schools;
using Herald.Sms;
using Herald.Storage;
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
        builder.WebHost.UseUrls(options.Urls);
        // On SIGTERM/SIGINT the dispatcher lets sends on the wire finish and records them; the host waits that long.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Dispatch.ShutdownTimeout);
        builder.Services.AddHeraldCore(builder.Configuration, time);
        builder.Services.AddDispatchWorker();
        builder.Services.AddBounceMailbox(options.Email);
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        // Unreadable bodies reach the exception handler, which names the problem (the default answers a bare 400).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(o => HttpJson.Configure(o.SerializerOptions));

        var app = builder.Build();
        app.Services.GetRequiredService<Database>().Migrate(m => app.Logger.LogInformation("{Migration}", m));
        app.UseExceptionHandler(e => e.Run(WriteProblem));
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapMetrics();
        app.MapHealth();
        // Before the API-key group: Kannel authenticates with the signed URL, not a key.
        Herald.Sms.KannelDlrApi.MapKannelDlr(app);
        Herald.Sms.TwilioStatusApi.MapTwilioStatus(app);
        var api = app.MapGroup("/api/v1").RequireApiKey();
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
        foreach (var (obj, prefix) in new object[] { o, o.Database, o.Sender, o.Dispatch, o.Transport }.Zip(["Herald", "Herald:Database", "Herald:Sender", "Herald:Dispatch", "Herald:Transport"]))
        {
            var r = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(obj, new(obj), r, validateAllProperties: true);
            results.AddRange(r.Select(x => new System.ComponentModel.DataAnnotations.ValidationResult($"{prefix}:{string.Join(",", x.MemberNames)}: {x.ErrorMessage}")));
        }
        results.AddRange(o.Sms.Problems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
        results.AddRange(o.LeaseProblems().Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(p)));
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
        services.AddContacts();
        services.AddAnnouncements();
        services.AddDeliveries(new LedgerOptions(options.Email.DelayedSettleAfter));
        services.AddReports();
        services.AddAddresses();
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
        app.MapGet("/health", (ReportQueries q, Database db, IServiceProvider services) =>
        {
            var (stuck, oldest) = q.QueuedTooLong();
            HeraldMetrics.QueuedTooLong.Set(stuck);
            var status = stuck > 0 ? "degraded" : "healthy";
            // A bounce mailbox that is down does not degrade sending: its mail waits on the server until it is back.
            var mailbox = services.GetService<BounceMailbox>()?.Status;
            return TypedResults.Ok(new Health(status, db.Provider.ToString().ToLowerInvariant(), stuck, oldest, mailbox));
        }).WithTags("Operations").WithSummary("Health, with deliveries queued longer than the alert threshold");
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            try { HeraldMetrics.QueuedTooLong.Set(app.Services.GetRequiredService<ReportQueries>().QueuedTooLong().Count); }
            catch (Exception) { /* a scrape must not fail because the database is briefly busy */ }
        });
    }

    /// <summary>Turns unreadable requests into problem+json naming what is wrong, never a stack trace.</summary>
    private static async Task WriteProblem(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, detail) = error switch
        {
            BadHttpRequestException { InnerException: JsonException j } => (400, $"invalid JSON body: {j.Message}"),
            BadHttpRequestException b => (b.StatusCode, b.Message),
            JsonException j => (400, $"invalid JSON body: {j.Message}"),
            _ => (500, "internal error; the details are in Herald's log"),
        };
        http.Response.StatusCode = status;
        await TypedResults.Problem(detail, statusCode: status).ExecuteAsync(http);
    }
}

/// <summary>The health answer.</summary>
/// <param name="BounceMailbox">The bounce mailbox reader's state; null when no bounce mailbox is configured.</param>
public sealed record Health(string Status, string Database, long QueuedTooLong, DateTimeOffset? OldestQueuedSince,
    Herald.Bounces.BounceMailboxStatus? BounceMailbox = null);
