using System.Security.Cryptography;
using Dapper;
using Herald.Storage;
using Microsoft.AspNetCore.Identity;

namespace Herald.Staff;

/// <summary>What a signed-in person may see: one school's pages (staff), or every school and the support console.</summary>
public enum StaffRole { Staff, Support }

/// <summary>A person who signs in to Herald's pages.</summary>
public sealed record StaffUser(long Id, string Email, string Name, StaffRole Role, long? SchoolId, DateTimeOffset? DisabledAt,
    DateTimeOffset? LastSignInAt, string SecurityStamp);

/// <summary>How a sign-in went. The page says the same for an unknown address and a wrong password.</summary>
public enum SignInOutcome { SignedIn, Wrong, LockedOut, Disabled }

public sealed record SignInResult(SignInOutcome Outcome, StaffUser? User = null, DateTimeOffset? LockedUntil = null);

/// <summary>
/// Staff and support users, their passwords (ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>) and the
/// lock-out after repeated failures. The only writer of <c>staff_users</c>.
/// </summary>
public sealed partial class StaffUsers(Database db, TimeProvider time)
{
    /// <summary>Failed sign-ins in a row before the account is locked for <see cref="LockOutFor"/>: enough for typos,
    /// far too few for guessing.</summary>
    public const int MaxFailures = 5;

    public static readonly TimeSpan LockOutFor = TimeSpan.FromMinutes(15);

    /// <summary>Shortest password: long passphrases beat composition rules (NIST SP 800-63B §5.1.1.2).</summary>
    public const int MinPasswordLength = 12;

    private static readonly PasswordHasher<StaffUser> Hasher = new();

    /// <summary>A hash to verify against when the address is unknown, so that an unknown address takes as long to
    /// refuse as a wrong password and the timing tells nothing.</summary>
    private static readonly string DummyHash = Hasher.HashPassword(null!, "not a password of anyone's");

    private sealed class Row
    {
        public long id { get; set; }
        public string email { get; set; } = "";
        public string name { get; set; } = "";
        public string role { get; set; } = "";
        public long? school_id { get; set; }
        public string password_hash { get; set; } = "";
        public long failed_sign_ins { get; set; }
        public long? locked_until { get; set; }
        public long? disabled_at { get; set; }
        public long? last_sign_in_at { get; set; }
        public string security_stamp { get; set; } = "";

        public StaffUser ToUser() => new(id, email, name, role == "support" ? StaffRole.Support : StaffRole.Staff, school_id,
            DbTime.At(disabled_at), DbTime.At(last_sign_in_at), security_stamp);
    }

    public static string? PasswordProblem(string? password) =>
        password is null || password.Length < MinPasswordLength ? $"the password must have at least {MinPasswordLength} characters" :
        password.Length > 200 ? "the password must have at most 200 characters" : null;

    /// <summary>Adds a user. <paramref name="password"/> null: no password yet (the user chooses one with a one-time
    /// link, <see cref="Invite"/>); until then no password signs them in (an empty hash verifies nothing).</summary>
    public StaffUser Add(string email, string name, StaffRole role, long? schoolId, string? password)
    {
        var normalised = Normalise(email);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200) throw new ArgumentException("--name: 1 to 200 characters");
        if (role == StaffRole.Staff && schoolId is null) throw new ArgumentException("a staff user belongs to a school: give --school SLUG");
        if (role == StaffRole.Support && schoolId is not null) throw new ArgumentException("a support user sees every school: leave out --school");
        if (password is not null && PasswordProblem(password) is { } problem) throw new ArgumentException(problem);
        using var c = db.Open();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM staff_users WHERE email = @normalised", new { normalised }) > 0)
            throw new InvalidOperationException($"a user with the address {normalised} already exists (see 'herald users list')");
        var id = c.ExecuteScalar<long>(
            """
            INSERT INTO staff_users (email, name, role, school_id, password_hash, security_stamp, created_at)
            VALUES (@normalised, @name, @role, @schoolId, @hash, @stamp, @now) RETURNING id
            """,
            new { normalised, name = name.Trim(), role = role.ToString().ToLowerInvariant(), schoolId, hash = password is null ? "" : Hasher.HashPassword(null!, password),
                  stamp = NewStamp(), now = DbTime.Ms(time.GetUtcNow()) });
        return Get(id)!;
    }

    public StaffUser? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<Row>("SELECT * FROM staff_users WHERE id = @id", new { id })?.ToUser();
    }

    public StaffUser Require(string email) =>
        Find(email) ?? throw new InvalidOperationException($"no user with the address {Normalise(email)} (see 'herald users list')");

    public StaffUser? Find(string email)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<Row>("SELECT * FROM staff_users WHERE email = @e", new { e = Normalise(email) })?.ToUser();
    }

    public IReadOnlyList<StaffUser> List(long? schoolId)
    {
        using var c = db.Open();
        return c.Query<Row>("SELECT * FROM staff_users WHERE (@schoolId IS NULL OR school_id = @schoolId) ORDER BY email", new { schoolId })
            .Select(r => r.ToUser()).ToList();
    }

    /// <summary>Disables the account: it cannot sign in, and its open sessions end (the security stamp changes).</summary>
    public StaffUser Disable(string email)
    {
        var user = Require(email);
        if (user.DisabledAt is { } at) throw new InvalidOperationException($"{user.Email} was already disabled on {at:u}");
        using var c = db.Open();
        c.Execute("UPDATE staff_users SET disabled_at = @now, security_stamp = @stamp WHERE id = @id",
            new { now = DbTime.Ms(time.GetUtcNow()), stamp = NewStamp(), id = user.Id });
        return Get(user.Id)!;
    }

    /// <summary>Sets a new password, lifts a lock-out and ends the open sessions.</summary>
    public StaffUser ResetPassword(string email, string password)
    {
        var user = Require(email);
        if (PasswordProblem(password) is { } problem) throw new ArgumentException(problem);
        using var c = db.Open();
        c.Execute("UPDATE staff_users SET password_hash = @hash, failed_sign_ins = 0, locked_until = NULL, security_stamp = @stamp WHERE id = @id",
            new { hash = Hasher.HashPassword(null!, password), stamp = NewStamp(), id = user.Id });
        return Get(user.Id)!;
    }

    /// <summary>Checks an address and password, counting failures and locking the account after <see cref="MaxFailures"/>
    /// in a row. A locked account is refused without looking at the password, so guessing stops while it lasts.</summary>
    public SignInResult SignIn(string? email, string? password)
    {
        var now = time.GetUtcNow();
        using var c = db.Open();
        var row = TryNormalise(email) is not { } e ? null
            : c.QuerySingleOrDefault<Row>("SELECT * FROM staff_users WHERE email = @e", new { e });
        if (row is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password ?? "");
            return new SignInResult(SignInOutcome.Wrong);
        }
        if (row.disabled_at is not null) return new SignInResult(SignInOutcome.Disabled);
        if (row.locked_until is { } until && until > DbTime.Ms(now)) return new SignInResult(SignInOutcome.LockedOut, LockedUntil: DbTime.At(until));
        var verdict = Hasher.VerifyHashedPassword(null!, row.password_hash, password ?? "");
        if (verdict == PasswordVerificationResult.Failed)
        {
            var failures = row.failed_sign_ins + 1;
            long? lockUntil = failures >= MaxFailures ? DbTime.Ms(now + LockOutFor) : null;
            c.Execute("UPDATE staff_users SET failed_sign_ins = @f, locked_until = @lockUntil WHERE id = @id",
                new { f = lockUntil is null ? failures : 0, lockUntil, row.id });
            return lockUntil is { } l ? new SignInResult(SignInOutcome.LockedOut, LockedUntil: DbTime.At(l)) : new SignInResult(SignInOutcome.Wrong);
        }
        // A hash from an older, weaker setting is replaced while the password is at hand.
        var hash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(null!, password!) : row.password_hash;
        c.Execute("UPDATE staff_users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = @now, password_hash = @hash WHERE id = @id",
            new { now = DbTime.Ms(now), hash, row.id });
        return new SignInResult(SignInOutcome.SignedIn, row.ToUser());
    }

    private static string Normalise(string email) =>
        TryNormalise(email) ?? throw new ArgumentException($"'{email}' is not an email address");

    private static string? TryNormalise(string? email)
    {
        var e = (email ?? "").Trim().ToLowerInvariant();
        return e.Length is 0 or > 254 || e.IndexOf('@') < 1 || e.EndsWith('@') ? null : e;
    }

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
}
