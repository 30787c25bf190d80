using System.Net;
using System.Text;
using Dapper;
using Herald.Storage;
using Herald.Tests.Api;

namespace Herald.Tests.Deliveries;

/// <summary>A send to a large audience is opened in chunks; one that fails part-way is finished by sending again.</summary>
public class FanOutTests
{
    /// <summary>Makes the database refuse deliveries for contacts above <paramref name="contactId"/>, as a database that
    /// goes away part-way through a send would: a real failure of the insert, from inside the database.</summary>
    private static void RefuseDeliveriesAbove(Database db, long contactId)
    {
        using var c = db.Open();
        if (db.Provider == DatabaseProvider.Postgres)
        {
            c.Execute("CREATE FUNCTION injected_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql");
            c.Execute($"CREATE TRIGGER injected_fault BEFORE INSERT ON deliveries FOR EACH ROW WHEN (NEW.contact_id > {contactId}) EXECUTE FUNCTION injected_fault()");
        }
        else
            c.Execute($"CREATE TRIGGER injected_fault BEFORE INSERT ON deliveries WHEN NEW.contact_id > {contactId} BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    }

    private static void Heal(Database db, string table = "deliveries")
    {
        using var c = db.Open();
        c.Execute(db.Provider == DatabaseProvider.Postgres ? $"DROP TRIGGER injected_fault ON {table}" : "DROP TRIGGER injected_fault");
    }

    private static string Families(int n)
    {
        var csv = new StringBuilder("external_id,role,name,email,mobile,groups,opt_outs,digest\n");
        for (var i = 0; i < n; i++) csv.Append($"f{i},guardian,Family {i},family{i}@school.example,,fanout,,no\n");
        return csv.ToString();
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task An_import_that_fails_part_way_is_completed_by_importing_the_same_file_again(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        var db = h.Service<Database>();
        using (var c = db.Open())
            if (db.Provider == DatabaseProvider.Postgres)
            {
                c.Execute("CREATE FUNCTION injected_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql");
                c.Execute("CREATE TRIGGER injected_fault BEFORE INSERT ON contacts FOR EACH ROW WHEN (NEW.external_id = 'f700') EXECUTE FUNCTION injected_fault()");
            }
            else
                c.Execute("CREATE TRIGGER injected_fault BEFORE INSERT ON contacts WHEN NEW.external_id = 'f700' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
        using (var failed = await h.Client.PostCsv(Families(1200)))
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        // The first chunk of 500 is in.
        Assert.Equal(500, (await h.Client.GetAsync("api/v1/contacts?pageSize=1").ExpectAsync(HttpStatusCode.OK))["total"]!.GetValue<long>());

        Heal(db, "contacts");
        Assert.Equal(1200, (await h.Client.PostCsv(Families(1200)).ExpectAsync(HttpStatusCode.OK))["imported"]!.GetValue<int>());
        Assert.Equal(1200, (await h.Client.GetAsync("api/v1/contacts?pageSize=1").ExpectAsync(HttpStatusCode.OK))["total"]!.GetValue<long>());
    }

    [Theory, MemberData(nameof(HeraldHost.Providers), MemberType = typeof(HeraldHost))]
    public async Task A_send_that_fails_part_way_through_its_audience_is_finished_by_sending_again_without_duplicates(string provider)
    {
        await using var h = await HeraldHost.StartAsync(provider, dispatcher: false);
        Assert.Equal(1200, (await h.Client.PostCsv(Families(1200)).ExpectAsync(HttpStatusCode.OK))["imported"]!.GetValue<int>());
        var created = await h.Client.PostJson("api/v1/announcements", new
        {
            subject = "Fan-out", text = "Hello.", channels = new[] { "email" }, category = "general", audience = new { groups = new[] { "fanout" } },
        }).ExpectAsync(HttpStatusCode.Created);
        var a = created["id"]!.GetValue<long>();
        var db = h.Service<Database>();
        long firstContact;
        using (var c = db.Open()) firstContact = c.ExecuteScalar<long>("SELECT MIN(id) FROM contacts");

        // The second chunk of 500 fails: the first stays committed, the announcement says it is still sending.
        RefuseDeliveriesAbove(db, firstContact + 700);
        using (var failed = await h.Client.PostAsync($"api/v1/announcements/{a}/send", null))
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        var partial = await h.Client.ReportAsync(a, "?pageSize=1");
        Assert.Equal(("sending", 500L), (partial.Str("state"), partial["recipients"]!["total"]!.GetValue<long>()));

        Heal(db);
        var again = await h.Client.SendAsync(a);
        Assert.Equal(700, again["decisions"]!["email"]!["queued"]!.GetValue<int>());
        var report = await h.Client.ReportAsync(a, "?pageSize=1");
        Assert.Equal(("sent", 1200L, 1200L), (report.Str("state"), report["recipients"]!["total"]!.GetValue<long>(), report.Count("queued")));
        using (var c = db.Open())
            Assert.Equal(1200, c.ExecuteScalar<long>("SELECT COUNT(DISTINCT contact_id) FROM deliveries WHERE announcement_id = @a", new { a }));
        using (var done = await h.Client.PostAsync($"api/v1/announcements/{a}/send", null))
            Assert.Equal(HttpStatusCode.Conflict, done.StatusCode);
    }
}
