using Microsoft.Playwright;

namespace Herald.Tests.Servers;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>), headless, driven by Playwright; started once per test run and shared
/// (each test opens its own context, so cookies and storage never leak between tests). Playwright never downloads a
/// browser here: it is given the executable.
/// </summary>
public static class Browser
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    /// <summary>A fresh browser context (its own cookies) in the shared Chromium. JavaScript is off by default: Herald's
    /// pages must work without it; turn it on to run a checker such as axe-core inside the page.</summary>
    public static async Task<IBrowserContext> NewContextAsync(string locale = "en-GB", bool javaScript = false)
    {
        var browser = await StartAsync();
        return await browser.NewContextAsync(new BrowserNewContextOptions { Locale = locale, JavaScriptEnabled = javaScript });
    }

    private static async Task<IBrowser> StartAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_browser is { IsConnected: true }) return _browser;
            if (!File.Exists(Executable))
                throw new ServerStartException($"Chromium is not installed at {Executable}: test.sh installs Debian's chromium package (run it as root)");
            try
            {
                _playwright ??= await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = Executable,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
                });
            }
            catch (PlaywrightException e)
            {
                throw new ServerStartException($"Chromium ({Executable}) could not be started by Playwright: {e.Message}", e);
            }
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try { _browser?.CloseAsync().GetAwaiter().GetResult(); _playwright?.Dispose(); } catch (PlaywrightException) { }
            };
            return _browser;
        }
        finally { Gate.Release(); }
    }
}
