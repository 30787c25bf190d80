using System.Security.Cryptography;
using System.Text;
using Dapper;
using Herald.Storage;

namespace Herald.Staff;

/// <summary>What a set-password link did.</summary>
public enum SetPasswordOutcome { Set, BadPassword, NoSuchLink }

/// <summary>
/// One-time set-password links (<c>/set-password/{token}</c>): a new user chooses their own password instead of the
/// operator typing one. The token is 256 random bits, shown once; only its SHA-256 is stored (as for API keys: a fast
/// hash loses nothing against guessing such a secret), so a copy of the database opens no account. A link works for
/// <see cref="InviteLifetime"/>, once, and only while the account is enabled; a newer link replaces the older ones.
/// </summary>
public sealed partial class StaffUsers
{
    public static readonly TimeSpan InviteLifetime = TimeSpan.FromHours(72);

    /// <summary>A new link's token for the user (by email); earlier unused links of theirs stop working.</summary>
    public (StaffUser User, string Token, DateTimeOffset ExpiresAt) Invite(string email)
    {
        var user = Require(email);
        if (user.DisabledAt is not null) throw new InvalidOperationException($"{user.Email} is disabled");
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        var expires = now + InviteLifetime;
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        c.Execute("UPDATE staff_invites SET expires_at = @now WHERE user_id = @id AND used_at IS NULL AND expires_at > @now",
            new { now = DbTime.Ms(now), id = user.Id }, tx);
        c.Execute("INSERT INTO staff_invites (user_id, token_hash, created_at, expires_at) VALUES (@id, @hash, @now, @expires)",
            new { id = user.Id, hash = TokenHash(token), now = DbTime.Ms(now), expires = DbTime.Ms(expires) }, tx);
        tx.Commit();
        return (user, token, expires);
    }

    /// <summary>The user a link is for, while it works (unused, unexpired, the account enabled); else null.</summary>
    public StaffUser? InvitedBy(string? token)
    {
        if (!IsToken(token)) return null;
        using var c = db.Open();
        var id = c.QuerySingleOrDefault<long?>(
            "SELECT user_id FROM staff_invites WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now",
            new { hash = TokenHash(token!), now = DbTime.Ms(time.GetUtcNow()) });
        return id is { } i && Get(i) is { DisabledAt: null } user ? user : null;
    }

    /// <summary>Sets the password through a link and uses the link up, in one transaction: of two presses at once, one
    /// sets it and the other finds the link used. A password refused by <see cref="PasswordProblem"/> leaves the link
    /// as it was.</summary>
    public SetPasswordOutcome SetPassword(string? token, string? password)
    {
        if (InvitedBy(token) is null) return SetPasswordOutcome.NoSuchLink;
        if (PasswordProblem(password) is not null) return SetPasswordOutcome.BadPassword;
        var now = DbTime.Ms(time.GetUtcNow());
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var id = c.QuerySingleOrDefault<long?>(
            "UPDATE staff_invites SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now RETURNING user_id",
            new { now, hash = TokenHash(token!) }, tx);
        if (id is null) return SetPasswordOutcome.NoSuchLink;
        c.Execute("UPDATE staff_users SET password_hash = @hash, failed_sign_ins = 0, locked_until = NULL, security_stamp = @stamp WHERE id = @id",
            new { hash = Hasher.HashPassword(null!, password!), stamp = NewStamp(), id }, tx);
        tx.Commit();
        return SetPasswordOutcome.Set;
    }

    private static bool IsToken(string? token) => token is { Length: > 20 and < 100 };

    private static string TokenHash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
