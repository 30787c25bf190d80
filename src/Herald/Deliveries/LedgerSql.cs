namespace Herald.Deliveries;

/// <summary>
/// Every statement that writes the ledger's tables (deliveries, events, announcement_counts, address_states, delivery_tracking,
/// address_history), by name: read top to bottom, this is the spec of what a delivery's state can do. Placeholders
/// in braces are filled by <see cref="DeliveryLedger"/>: <c>{db_now}</c> the database's clock in Unix ms,
/// <c>{for_update}</c> / <c>{skip_locked}</c> row locks (PostgreSQL; SQLite's write transaction is already
/// exclusive), <c>{ids}</c> an id list, <c>{rows}</c> a group's rows as a table <c>v</c> with the columns named
/// beside each statement (passed as one JSON parameter: a statement's cost does not grow with thousands of
/// parameters, and a group of any size is one statement).
/// </summary>
internal static class LedgerSql
{
    public static readonly (string Name, string Type)[] OpenColumns =
        [("school_id", "BIGINT"), ("announcement_id", "BIGINT"), ("contact_id", "BIGINT"), ("channel", "TEXT"), ("address", "TEXT"),
         ("status", "TEXT"), ("status_at", "BIGINT"), ("reason", "TEXT"), ("next_try_at", "BIGINT")];

    // ---- open: the first decisions of a send -------------------------------------------------------------------

    /// <summary>One delivery per recipient and channel. A retried send (after a crash part-way through the fan-out)
    /// meets the rows it already made and skips them: no recipient gets two deliveries.</summary>
    public const string OpenDeliveries = """
        INSERT INTO deliveries (school_id, announcement_id, contact_id, channel, address, status, status_at, reason, next_try_at)
        SELECT school_id, announcement_id, contact_id, channel, address, status, status_at, reason, next_try_at FROM {rows} WHERE true
        ON CONFLICT (announcement_id, contact_id, channel) DO NOTHING
        RETURNING id, contact_id, channel
        """;

    // ---- restart: a resend's new attempt -----------------------------------------------------------------------

    /// <summary>A new attempt of the same delivery: its tries, claim, settle deadline and Message-ID start over.</summary>
    public const string RestartDelivery = """
        UPDATE deliveries SET attempt = @attempt, address = @address, status = @status, status_at = @now, reason = @reason,
            tries = 0, first_try_at = NULL, next_try_at = @next, claimed_until = NULL, claim_token = NULL, settles = 0,
            message_id = NULL, resent_at = @now, resent_by = @by, digest_id = NULL
        WHERE id = @id
        """;

    // ---- claim: a lease with a fencing token --------------------------------------------------------------------

    /// <summary>Due deliveries (queued, or soft-bounced with a retry or settle deadline due) that no live claim holds.
    /// The lease runs on the database's clock, so processes on machines whose clocks differ agree on when it lapses;
    /// the schedule (<c>next_try_at</c>) runs on Herald's clock. A settle deadline is not a try.</summary>
    public const string ClaimDue = """
        UPDATE deliveries SET claimed_until = {db_now} + @leaseMs, claim_token = @token,
            tries = tries + 1 - settles, first_try_at = COALESCE(first_try_at, @now)
        WHERE id IN (SELECT id FROM deliveries
                     WHERE status IN ('queued', 'soft_bounce') AND next_try_at <= @now
                       AND (claimed_until IS NULL OR claimed_until < {db_now})
                     ORDER BY next_try_at, id LIMIT @n{skip_locked})
        RETURNING id, school_id, announcement_id, contact_id, channel, address, attempt, tries, first_try_at, settles, digest_id
        """;

    // ---- complete: the transport's answers to a claim -----------------------------------------------------------

    /// <summary>The deliveries of a group, locked in id order before anything else, so that a webhook recording
    /// feedback for one of them cannot deadlock with the group on PostgreSQL.</summary>
    public const string LockDeliveries = """
        SELECT id, school_id, announcement_id, contact_id, channel, address, status, status_at, attempt, claim_token, digest_id
        FROM deliveries WHERE id {ids} ORDER BY id{for_update}
        """;

    /// <summary>A whole group's answers in one statement. Completing always releases the claim and writes the next
    /// try (or none, for a final status), whether or not the status itself changes: a second soft bounce keeps its
    /// status but moves its next try. Only rows still held by the completing claim's token are touched (the fence).
    /// The id list repeats what the rows say so that PostgreSQL reaches them by primary key: it cannot estimate how
    /// many rows the JSON holds, and would otherwise scan the whole table for every group.</summary>
    public static readonly (string Name, string Type)[] CompleteColumns =
        [("id", "BIGINT"), ("token", "TEXT"), ("status", "TEXT"), ("status_at", "BIGINT"), ("reason", "TEXT"), ("next_try_at", "BIGINT"),
         ("tries_back", "BIGINT"), ("message_id", "TEXT")];

    public const string CompleteMany = """
        UPDATE deliveries SET status = v.status, status_at = v.status_at, reason = v.reason, next_try_at = v.next_try_at,
            tries = deliveries.tries - v.tries_back, message_id = COALESCE(v.message_id, deliveries.message_id),
            settles = 0, claim_token = NULL, claimed_until = NULL
        FROM {rows} WHERE deliveries.id = v.id AND deliveries.claim_token = v.token
          AND deliveries.id {ids}
        """;

    // ---- record: feedback -----------------------------------------------------------------------------------------

    public const string LockDelivery = """
        SELECT id, school_id, announcement_id, contact_id, channel, address, status, status_at, attempt, claim_token, digest_id
        FROM deliveries WHERE id = @id{for_update}
        """;

    public const string ProviderEventSeen = "SELECT COUNT(*) FROM events WHERE delivery_id = @id AND provider_event_id = @p";

    /// <summary>Feedback moved the status. The claim is left alone: a send in flight completes under its own token
    /// and then meets this status through the precedence table.</summary>
    public const string RecordStatus = """
        UPDATE deliveries SET status = @status, status_at = @at, reason = @reason, next_try_at = @next, settles = @settles
        WHERE id = @id
        """;

    // ---- fallback: an essential announcement on the other channel ----------------------------------------------

    /// <summary>A fallback delivery: queued on the other channel, naming the delivery it replaces. The unique key
    /// (announcement, contact, channel) makes it once at most: the same failure recorded twice, or by two processes,
    /// meets the row the first made and adds nothing.</summary>
    public const string OpenFallback = """
        INSERT INTO deliveries (school_id, announcement_id, contact_id, channel, address, status, status_at, reason, next_try_at, fallback_for)
        VALUES (@schoolId, @announcementId, @contactId, @channel, @address, 'queued', @now, @reason, @now, @failedId)
        ON CONFLICT (announcement_id, contact_id, channel) DO NOTHING
        RETURNING id
        """;

    /// <summary>The deliveries of some contacts on one announcement (the send's fallbacks find what they replace).</summary>
    public const string DeliveriesOfContacts = "SELECT id, contact_id, channel FROM deliveries WHERE announcement_id = @announcementId AND contact_id {ids}";

    // ---- digests: held deliveries packed into one email per contact (docs/preferences.md, "Digests") ---------------

    /// <summary>One packer at a time across processes (PostgreSQL; SQLite's write transaction is already exclusive): two
    /// packers must not split one contact's due deliveries between two digests. A packer that does not get the lock
    /// leaves the work to the one that has it.</summary>
    public const string TryPackLock = "SELECT pg_try_advisory_xact_lock(5207016349174834503)";

    /// <summary>Whether any digest is due: read before the pack takes the write lock (SQLite's is the whole file), so a
    /// round with nothing to pack costs one indexed read.</summary>
    public const string AnyDigestDue = "SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE status = 'pending_digest' AND next_try_at <= @now LIMIT 1) due";

    /// <summary>The contacts with held deliveries whose digest is due (through ix_deliveries_due).</summary>
    public const string DueDigestContacts = """
        SELECT DISTINCT contact_id FROM deliveries WHERE status = 'pending_digest' AND next_try_at <= @now ORDER BY contact_id LIMIT @n
        """;

    /// <summary>Those contacts' due held deliveries, locked (a resend or a preference change waits, then sees them packed).</summary>
    public const string DueHeldOf = """
        SELECT id, school_id, announcement_id, contact_id, address, attempt, next_try_at FROM deliveries
        WHERE contact_id {ids} AND status = 'pending_digest' AND next_try_at <= @now ORDER BY contact_id, id{for_update}
        """;

    public const string InsertDigest = """
        INSERT INTO digests (school_id, contact_id, address, due_at, packed_at, lead_delivery_id, size)
        VALUES (@schoolId, @contactId, @address, @dueAt, @now, @lead, @size) RETURNING id
        """;

    /// <summary>A digest's deliveries become queued together. Only the lead is due: it is what the dispatcher claims,
    /// sends and retries, and the others are claimed with it (<see cref="ClaimDigestMembers"/>) and never on their own.</summary>
    public const string PackDigest = """
        UPDATE deliveries SET status = 'queued', status_at = @now, reason = @reason, digest_id = @digestId,
            next_try_at = CASE WHEN id = @lead THEN @now ELSE NULL END
        WHERE id {ids} AND status = 'pending_digest'
        """;

    /// <summary>The other deliveries of the digests whose leads a claim just took, under the same token and lease: one
    /// message carries them all, so they are claimed, answered and fenced together.</summary>
    public const string ClaimDigestMembers = """
        UPDATE deliveries SET claimed_until = {db_now} + @leaseMs, claim_token = @token, tries = tries + 1,
            first_try_at = COALESCE(first_try_at, @now)
        WHERE digest_id {ids} AND id NOT IN (SELECT lead_delivery_id FROM digests WHERE id {ids})
          AND status IN ('queued', 'soft_bounce') AND settles = 0 AND (claimed_until IS NULL OR claimed_until < {db_now})
        RETURNING id, school_id, announcement_id, contact_id, channel, address, attempt, tries, first_try_at, settles, digest_id
        """;

    /// <summary>The digests of some deliveries and their leads (the answer to a digest's lead decides the others' next try).</summary>
    public const string DigestLeads = "SELECT id, lead_delivery_id FROM digests WHERE id {ids}";

    /// <summary>The other deliveries a digest carries, for feedback about the digest's message (a bounce of it).</summary>
    public const string DigestSiblings = "SELECT id, attempt FROM deliveries WHERE digest_id = @digestId AND id <> @id ORDER BY id";

    /// <summary>A contact who left the digest: what was held is queued now, each on its own.</summary>
    public const string ReleaseHeld = """
        UPDATE deliveries SET status = 'queued', status_at = @now, reason = @reason, next_try_at = @now
        WHERE contact_id = @contactId AND status = 'pending_digest'
        RETURNING id, school_id, announcement_id, channel, attempt
        """;

    /// <summary>A contact whose schedule changed: what is held falls due on the new schedule.</summary>
    public const string RescheduleHeld = "UPDATE deliveries SET next_try_at = @due WHERE contact_id = @contactId AND status = 'pending_digest'";

    // ---- track: opens and clicks (src/Herald/Tracking) -------------------------------------------------------------

    /// <summary>A group of opens and clicks counted in one upsert, one row per attempt (the ledger sums a group's hits
    /// per attempt first: PostgreSQL refuses a key twice in one upsert). The announcement is read from the delivery by
    /// its primary key in the same statement; an unknown or non-email delivery inserts nothing. Returns each attempt's
    /// counters after it, from which the ledger tells the first of each kind. <c>{pg_ids}</c>: on PostgreSQL the id list
    /// again (<c>AND d.id = ANY(@ids)</c>), which cannot estimate the JSON's rows; on SQLite nothing, so the statement's
    /// text is the same for every group.</summary>
    public static readonly (string Name, string Type)[] TrackColumns =
        [("id", "BIGINT"), ("attempt", "BIGINT"), ("o", "BIGINT"), ("mo", "BIGINT"), ("c", "BIGINT"), ("mc", "BIGINT"),
         ("first_at", "BIGINT"), ("last_at", "BIGINT"), ("machine_at", "BIGINT")];

    public const string TrackHits = """
        INSERT INTO delivery_tracking (delivery_id, attempt, announcement_id, opens, machine_opens, clicks, machine_clicks,
            first_open_at, last_open_at, last_machine_at)
        SELECT d.id, v.attempt, d.announcement_id, v.o, v.mo, v.c, v.mc, v.first_at, v.last_at, v.machine_at
        FROM {rows} JOIN deliveries d ON d.id = v.id WHERE d.channel = 'email'{pg_ids}
        ON CONFLICT (delivery_id, attempt) DO UPDATE SET opens = delivery_tracking.opens + excluded.opens,
            machine_opens = delivery_tracking.machine_opens + excluded.machine_opens, clicks = delivery_tracking.clicks + excluded.clicks,
            machine_clicks = delivery_tracking.machine_clicks + excluded.machine_clicks,
            first_open_at = COALESCE(delivery_tracking.first_open_at, excluded.first_open_at),
            last_open_at = COALESCE(excluded.last_open_at, delivery_tracking.last_open_at),
            last_machine_at = COALESCE(excluded.last_machine_at, delivery_tracking.last_machine_at)
        RETURNING delivery_id, attempt, opens, machine_opens, clicks, machine_clicks
        """;

    // ---- the log and the counters, shared by every operation ----------------------------------------------------

    /// <summary>The full log: every operation appends here, one multi-row statement per group. <c>key_id</c>: the API key
    /// whose request wrote the event (a posted event, a send's or resend's decisions, a reset); null for Herald's own.</summary>
    public static readonly (string Name, string Type)[] EventColumns =
        [("school_id", "BIGINT"), ("contact_id", "BIGINT"), ("delivery_id", "BIGINT"), ("announcement_id", "BIGINT"), ("channel", "TEXT"),
         ("attempt", "BIGINT"), ("status", "TEXT"), ("changed", "BIGINT"), ("source", "TEXT"), ("detail", "TEXT"), ("provider_event_id", "TEXT"),
         ("occurred_at", "BIGINT"), ("recorded_at", "BIGINT"), ("message_id", "TEXT"), ("actor", "TEXT"), ("key_id", "BIGINT")];

    public const string InsertEvents = """
        INSERT INTO events (school_id, contact_id, delivery_id, announcement_id, channel, attempt, status, changed, source,
            detail, provider_event_id, occurred_at, recorded_at, message_id, actor, key_id)
        SELECT school_id, contact_id, delivery_id, announcement_id, channel, attempt, status, changed, source,
            detail, provider_event_id, occurred_at, recorded_at, message_id, actor, key_id FROM {rows}
        """;

    /// <summary>The report's counters, moved in the same transaction as the statuses they count.</summary>
    public static readonly (string Name, string Type)[] CountColumns =
        [("announcement_id", "BIGINT"), ("channel", "TEXT"), ("status", "TEXT"), ("n", "BIGINT")];

    public const string AddCounts = """
        INSERT INTO announcement_counts (announcement_id, channel, status, n)
        SELECT announcement_id, channel, status, n FROM {rows} WHERE true
        ON CONFLICT (announcement_id, channel, status) DO UPDATE SET n = announcement_counts.n + excluded.n
        """;

    // ---- mark address / reset address ----------------------------------------------------------------------------

    /// <summary>A suppression (spam) is the stronger state: a later hard bounce does not turn it back into failed.</summary>
    public const string MarkAddress = """
        INSERT INTO address_states (school_id, channel, address, state, reason, delivery_id, since)
        VALUES (@schoolId, @channel, @address, @state, @reason, @deliveryId, @now)
        ON CONFLICT (school_id, channel, address) DO UPDATE SET state = excluded.state, reason = excluded.reason,
            delivery_id = excluded.delivery_id, since = excluded.since
        WHERE address_states.state <> 'suppressed' AND address_states.state <> excluded.state
        """;

    /// <summary>Who (and which API key, when one asked) set or lifted an address state, and why.</summary>
    public const string AddressHistory = """
        INSERT INTO address_history (school_id, channel, address, change, by_whom, why, at, key_id)
        VALUES (@schoolId, @channel, @address, @change, @by, @why, @now, @keyId)
        """;

    public const string BlockedIn = "SELECT school_id, channel, address FROM address_states WHERE address {ids}";

    public const string SchoolsMarking = """
        SELECT school_id FROM address_states WHERE channel = @channel AND address = @address AND (@schoolId IS NULL OR school_id = @schoolId)
        """;

    public const string DeleteAddressState = "DELETE FROM address_states WHERE school_id = @schoolId AND channel = @channel AND address = @address";

    /// <summary>Every contact whose profile or deliveries hold the address: each gets the reset in its full log.</summary>
    public const string ContactsWithAddress = """
        SELECT id FROM contacts WHERE school_id = @schoolId AND LOWER({column}) = LOWER(@address)
        UNION SELECT contact_id FROM deliveries WHERE school_id = @schoolId AND channel = @channel AND address = @address
        """;

    // ---- preferences: contact_opt_outs, written only here ---------------------------------------------------------

    public const string LockContact = "SELECT id FROM contacts WHERE school_id = @schoolId AND id = @contactId{for_update}";

    public const string OptOutsOf = "SELECT category, channel FROM contact_opt_outs WHERE contact_id = @contactId";

    /// <summary>A row with a channel is unique; two presses at once meet the constraint and the second adds nothing.</summary>
    public const string InsertOptOut = """
        INSERT INTO contact_opt_outs (contact_id, category, channel) VALUES (@contactId, @category, @channel) ON CONFLICT DO NOTHING
        """;

    public const string DeleteOptOut = "DELETE FROM contact_opt_outs WHERE contact_id = @contactId AND category = @category AND channel = @channel";

    public const string DeleteOptOutAllChannels = "DELETE FROM contact_opt_outs WHERE contact_id = @contactId AND category = @category AND channel IS NULL";

    public const string ForgetOptOuts = """
        DELETE FROM contact_opt_outs WHERE contact_id IN (SELECT id FROM contacts WHERE school_id = @schoolId AND id = @contactId)
        """;
}
