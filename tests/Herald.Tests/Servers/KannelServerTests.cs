using System.Collections.Concurrent;
using System.Net;
using System.Web;

namespace Herald.Tests.Servers;

public class KannelServerTests
{
    [Fact]
    public async Task Sendsms_with_a_dlr_url_reports_delivered_for_one_number_and_failed_with_the_error_for_another()
    {
        var kannel = await KannelServer.Shared;
        var dlrs = new ConcurrentQueue<System.Collections.Specialized.NameValueCollection>();
        int port = ServerHelpers.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    dlrs.Enqueue(HttpUtility.ParseQueryString(context.Request.Url!.Query));
                    context.Response.Close();
                }
                catch (Exception) when (!listener.IsListening) { return; }
            }
        });
        string run = Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient();
        foreach (var (id, number) in new[] { ("ok", "4479000001"), ("ko", "4479000010") })
        {
            // %d: DLR type, %A: the carrier's DLR text (Kannel's dlr-url escape codes).
            string dlrUrl = $"http://127.0.0.1:{port}/dlr?run={run}&id={id}&type=%d&reply=%A";
            string reply = await http.GetStringAsync(kannel.SendsmsUrl +
                $"&to={number}&from=School&text={Uri.EscapeDataString("Trip tomorrow")}&dlr-mask=31&dlr-url={Uri.EscapeDataString(dlrUrl)}");
            Assert.Contains("Accepted for delivery", reply);
        }

        System.Collections.Specialized.NameValueCollection? Final(string id) =>
            dlrs.FirstOrDefault(d => d["run"] == run && d["id"] == id && d["type"] is "1" or "2");
        await ServerHelpers.WaitUntilAsync(() => Task.FromResult(Final("ok") is not null && Final("ko") is not null),
            TimeSpan.FromSeconds(60), () => $"DLRs seen: {string.Join("; ", dlrs.Select(d => d.ToString()))}\n{kannel.Logs()}");

        Assert.Equal("1", Final("ok")!["type"]);
        Assert.Equal("2", Final("ko")!["type"]);
        Assert.Contains($"err:{CarrierSimulator.FailureErrorCode}", Final("ko")!["reply"]);
    }
}
