using Herald.Addresses;
using Herald.Core.Deliveries;
using Herald.Deliveries;
using Herald.Http;
using Herald.Reports;

namespace Herald.Events;

/// <summary>An event posted to <c>POST /api/v1/events</c>.</summary>
/// <param name="DeliveryId">The delivery (from the report).</param>
/// <param name="Status">A status name (e.g. <c>delivered</c>, <c>hard_bounce</c>), or null for a log-only event.</param>
/// <param name="Source">School keys: always <c>api</c> (the key's name is recorded as the actor). Operator keys: default
/// <c>webhook</c>, or one of <c>bounce</c>, <c>support</c>, <c>tracking</c>, <c>simulator</c>, <c>api</c>.</param>
/// <param name="Detail">Raw detail kept in the log.</param>
/// <param name="ProviderEventId">The provider's event id: the same id twice changes nothing.</param>
/// <param name="OccurredAt">When it happened; default now. More than 5 minutes in the future is refused; a little
/// ahead (clock skew) is taken as now.</param>
/// <param name="Reason">Short reason (e.g. <c>userunknown</c>).</param>
/// <param name="Attempt">The attempt it is about (the report shows each delivery's attempt); feedback about an earlier
/// attempt than the current one is logged but does not change the status.</param>
public sealed record EventInput(long? DeliveryId, string? Status, string? Source, string? Detail, string? ProviderEventId,
    DateTimeOffset? OccurredAt, string? Reason, int? Attempt = null);

/// <summary>The answer: what the event did and the delivery's status afterwards.</summary>
public sealed record EventAnswer(long DeliveryId, string Result, string? Status);

/// <summary>A support reset of an address.</summary>
/// <param name="School">The school (id) whose failed or suppressed state is lifted; required unless <c>allSchools</c>.</param>
/// <param name="ResendDroppedDays">Also resend the announcements that were dropped for this address in the last N days.</param>
/// <param name="AllSchools">Lift the address in every school that marked it (instead of <c>school</c>); the log says so.</param>
public sealed record ResetInput(string? Address, string? Channel, string? By, string? Why, long? School, int? ResendDroppedDays = null,
    bool? AllSchools = null);

/// <summary>The reset, and the resends it made.</summary>
public sealed record ResetAnswer(ResetResult Reset, IReadOnlyList<Announcements.ResendResult> Resends);

public static class EventsApi
{
    /// <summary>How far ahead of Herald's clock an event's <c>occurredAt</c> may be (clock skew between machines).</summary>
    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);

    public static void MapEvents(this RouteGroupBuilder api)
    {
        api.MapPost("/events", (HttpContext http, DeliveryLedger recorder, ReportQueries q, TimeProvider time, EventInput input) =>
        {
            var problems = new List<FieldProblem>();
            if (input.DeliveryId is null) problems.Add(new("deliveryId", "is required"));
            DeliveryStatus? status = null;
            if (input.Status is not null)
                if (Wire.TryParseStatus(input.Status, out var st)) status = st;
                else problems.Add(new("status", $"'{input.Status}' is not a status"));
            var caller = http.Caller();
            // A school key speaks for itself: its events are 'api' events under the key's name. Only an operator (whose
            // integrations relay providers' webhooks) may say where feedback came from; nobody can claim Herald's own
            // decisions or transport answers.
            var source = caller.IsOperator ? EventSource.Webhook : EventSource.Api;
            if (input.Source is not null)
            {
                if (!Wire.TryParseSource(input.Source, out var named) || named is EventSource.Decision or EventSource.Transport
                    or EventSource.Link or EventSource.Reply or EventSource.Page or EventSource.Import or EventSource.Staff)
                    problems.Add(new("source", $"'{input.Source}' is not one of webhook, bounce, support, tracking, simulator, api"));
                else if (!caller.IsOperator && named != EventSource.Api)
                    problems.Add(new("source", $"a school key's events are recorded as 'api'; only an operator key may name the source '{input.Source}'"));
                else source = named;
            }
            var now = time.GetUtcNow();
            // A clock a little ahead is tolerated (and the event taken as happening now); an event from the future is not.
            if (input.OccurredAt is { } when && when > now + FutureSkew)
                problems.Add(new("occurredAt", $"{when:u} is in the future (Herald's clock says {now:u})"));
            if (input.Detail is { Length: > 8000 }) problems.Add(new("detail", "is longer than 8000 characters"));
            if (input.ProviderEventId is { Length: > 200 }) problems.Add(new("providerEventId", "is longer than 200 characters"));
            if (input.Reason is { Length: > 200 }) problems.Add(new("reason", "is longer than 200 characters"));
            if (input.Attempt is < 1) problems.Add(new("attempt", "must be 1 or more"));
            if (status is null && string.IsNullOrWhiteSpace(input.Detail)) problems.Add(new("status", "give a status, or a detail for a log-only event"));
            if (problems.Count > 0) return Problems.Invalid(problems);
            var owner = q.DeliveryOwner(input.DeliveryId!.Value);
            if (owner is null || (!caller.IsOperator && owner.Value.SchoolId != caller.SchoolId)) return Problems.NotFound($"delivery {input.DeliveryId}");
            // Decisions (queued, missing, opted out, digest, dropped) are Herald's own; feedback cannot claim them.
            if (status is { } decided && StatusPrecedence.IsHeraldsDecision(decided))
                return Problems.Invalid("status", $"'{input.Status}' is decided by Herald when it sends; events report feedback (sent, delivered, opened, clicked, soft_bounce, hard_bounce, rejected, spam, failed)");
            if (status is { } s && !Wire.StatusesOf(owner.Value.Channel).Contains(s))
                return Problems.Invalid("status", $"'{input.Status}' is not a status of {owner.Value.Channel.Name()} deliveries");
            // A soft bounce posted here is the provider's: it keeps retrying, so the ledger gives the delivery a settle
            // deadline (Herald:Email:DelayedSettleAfter) rather than a retry of Herald's own.
            var occurred = input.OccurredAt is { } at && at < now ? at : now;
            var e = new DeliveryEvent(input.DeliveryId.Value, status, source, input.Detail, input.ProviderEventId,
                occurred, input.Reason, Attempt: input.Attempt, Actor: caller.KeyName, KeyId: caller.KeyId);
            var outcome = recorder.Record(e);
            return TypedResults.Ok(new EventAnswer(e.DeliveryId, outcome.Result.ToString().ToLowerInvariant(), outcome.Status?.Name()));
        }).WithTags("Events").WithSummary("Record feedback about a delivery (never regresses; duplicates by providerEventId change nothing)");

        api.MapPost("/addresses/reset", (HttpContext http, AddressReset reset, AddressResend resend, ResetInput input) =>
        {
            if (!http.Caller().IsOperator) return Problems.Forbidden("resetting an address is a support action: use an operator key");
            var problems = new List<FieldProblem>();
            if (string.IsNullOrWhiteSpace(input.Address)) problems.Add(new("address", "is required"));
            var channel = Channel.Email;
            if (input.Channel is not null && !Wire.TryParseChannel(input.Channel, out channel)) problems.Add(new("channel", $"'{input.Channel}' is not email or sms"));
            if (string.IsNullOrWhiteSpace(input.By)) problems.Add(new("by", "is required: who resets it"));
            if (string.IsNullOrWhiteSpace(input.Why)) problems.Add(new("why", "is required: why it is reset"));
            if (input.ResendDroppedDays is < 1 or > 365) problems.Add(new("resendDroppedDays", "must be between 1 and 365"));
            // A school's feedback (a bounce, a complaint) marked the address in that school; lifting it everywhere is a
            // different act, so it must be asked for by name rather than be what a forgotten field means.
            var allSchools = input.AllSchools == true;
            if (input.School is null && !allSchools)
                problems.Add(new("school", "is required: the id of the school whose address state is lifted (or allSchools: true to lift it in every school)"));
            else if (input.School is not null && allSchools)
                problems.Add(new("allSchools", "give school or allSchools: true, not both"));
            if (problems.Count > 0) return Problems.Invalid(problems);
            var address = AddressReset.Normalise(input.Address!, channel);
            var caller = http.Caller();
            var r = reset.Reset(address, channel, input.By!.Trim(), input.Why!.Trim(), input.School, allSchools, caller.KeyName, caller.KeyId);
            if (r.Schools.Count == 0) return Problems.NotFound($"failed or suppressed {channel.Name()} address '{address}'");
            var resends = input.ResendDroppedDays is { } days ? resend.ResendDropped(r, channel, days, input.By!.Trim(), caller.KeyId) : [];
            return TypedResults.Ok(new ResetAnswer(r, resends));
        }).RequireAuthorization(ApiAuth.OperatorPolicy).WithTags("Support").WithSummary("Reset a failed or suppressed address (operator key; logged with who and why)");
    }
}
