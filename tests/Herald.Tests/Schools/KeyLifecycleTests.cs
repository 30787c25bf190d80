using System.Net;
using Herald.Schools;
using Herald.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Schools;

/// <summary>Revoked, expired and rotated keys through real HTTP, on Herald's clock; and when a key was last used.</summary>
public class KeyLifecycleTests
{
    private static SchoolStore Keys(HeraldHost h) => h.Service<SchoolStore>();

    private static NewKey SchoolKey(HeraldHost h, DateTimeOffset? expiresAt = null, string name = "office") =>
        Keys(h).CreateKey(h.School.Id, name, false, false, expiresAt);

    private static Task<HttpResponseMessage> ListContacts(HeraldHost h, string key) => h.CreateClient(key).GetAsync("api/v1/contacts");

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Revoked_key_is_refused(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var key = SchoolKey(h);
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.OK);
        Keys(h).Revoke(key.Id.ToString());
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Expired_key_is_refused(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var key = SchoolKey(h, time.GetUtcNow().AddHours(1));
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.OK);
        time.Advance(TimeSpan.FromHours(1));
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_rotated_key_and_its_replacement_both_work_during_the_grace(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var old = SchoolKey(h);
        var (_, fresh) = Keys(h).Rotate(old.Id.ToString(), TimeSpan.FromHours(24));
        time.Advance(TimeSpan.FromHours(23));
        await ListContacts(h, old.Key).ExpectAsync(HttpStatusCode.OK);
        await ListContacts(h, fresh.Key).ExpectAsync(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task After_the_grace_the_rotated_key_is_refused_and_its_replacement_works(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var old = SchoolKey(h);
        var (_, fresh) = Keys(h).Rotate(old.Id.ToString(), TimeSpan.FromHours(24));
        time.Advance(TimeSpan.FromHours(24));
        await ListContacts(h, old.Key).ExpectAsync(HttpStatusCode.Unauthorized);
        await ListContacts(h, fresh.Key).ExpectAsync(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Rotating_with_no_grace_ends_the_old_key_at_once(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var old = SchoolKey(h);
        var (_, fresh) = Keys(h).Rotate(old.Key[..10], TimeSpan.Zero);
        await ListContacts(h, old.Key).ExpectAsync(HttpStatusCode.Unauthorized);
        await ListContacts(h, fresh.Key).ExpectAsync(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_rotated_key_keeps_its_school_name_and_flags(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var old = Keys(h).CreateKey(h.School.Id, "dashboard", false, true, null);
        var (_, fresh) = Keys(h).Rotate(old.Id.ToString(), TimeSpan.FromHours(1));
        Assert.Equal(new Caller(fresh.Id, "dashboard", h.School.Id, false, true), Keys(h).Authenticate(fresh.Key));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_read_only_key_authenticates_as_read_only(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var key = Keys(h).CreateKey(null, "monitoring", true, true, null);
        Assert.Equal(new Caller(key.Id, "monitoring", null, true, true), Keys(h).Authenticate(key.Key));
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_request_records_when_its_key_was_last_used(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var key = SchoolKey(h);
        Assert.Null(Keys(h).Keys(h.School.Id, false).Single(k => k.Id == key.Id).LastUsedAt);
        time.Advance(TimeSpan.FromMinutes(5));
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(Ms(time.GetUtcNow()), Keys(h).Keys(h.School.Id, false).Single(k => k.Id == key.Id).LastUsedAt);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task Last_use_is_written_again_only_once_it_is_a_minute_old(string provider)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await HeraldHost.StartAsync(provider, time, dispatcher: false);
        var key = SchoolKey(h);
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.OK);
        var first = Ms(time.GetUtcNow());
        time.Advance(TimeSpan.FromSeconds(59));
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(first, Keys(h).Keys(h.School.Id, false).Single(k => k.Id == key.Id).LastUsedAt);
        time.Advance(TimeSpan.FromSeconds(1));
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(Ms(time.GetUtcNow()), Keys(h).Keys(h.School.Id, false).Single(k => k.Id == key.Id).LastUsedAt);
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_refused_key_is_not_marked_as_used(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var key = SchoolKey(h);
        Keys(h).Revoke(key.Id.ToString());
        await ListContacts(h, key.Key).ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Null(Keys(h).Keys(h.School.Id, true).Single(k => k.Id == key.Id).LastUsedAt);
    }

    /// <summary>The database keeps milliseconds.</summary>
    private static DateTimeOffset Ms(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
}
