using Microsoft.Playwright;

// Signs in to a running Herald in Debian's Chromium (/usr/bin/chromium; Playwright is given it and never downloads a
// browser) and writes PNGs of the pages the README shows. docs/screenshots/make.sh starts Herald with demo data first.
// usage: Herald.Screenshots BASE_URL OUT_DIR PASSWORD STAFF_EMAIL SUPPORT_EMAIL ANNOUNCEMENT_ID CONTACT_ID ADDRESS
if (args.Length != 8)
{
    Console.Error.WriteLine("usage: Herald.Screenshots BASE_URL OUT_DIR PASSWORD STAFF_EMAIL SUPPORT_EMAIL ANNOUNCEMENT_ID CONTACT_ID ADDRESS");
    return 2;
}
var (baseUrl, outDir, password, staff, support) = (args[0].TrimEnd('/'), args[1], args[2], args[3], args[4]);
var (announcement, contact, address) = (args[5], args[6], args[7]);
const string Chromium = "/usr/bin/chromium";
if (!File.Exists(Chromium))
{
    Console.Error.WriteLine($"Chromium is not installed at {Chromium} (Debian: apt-get install chromium)");
    return 1;
}
Directory.CreateDirectory(outDir);

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = Chromium,
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
});

// The pages work without JavaScript; the screenshots show them that way. A laptop-sized window, English.
async Task<IPage> SignInAsync(string email)
{
    var context = await browser.NewContextAsync(new BrowserNewContextOptions
    {
        Locale = "en-GB", JavaScriptEnabled = false, ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
    });
    var page = await context.NewPageAsync();
    await page.GotoAsync($"{baseUrl}/sign-in");
    await page.GetByLabel("Email address").FillAsync(email);
    await page.GetByLabel("Password").FillAsync(password);
    await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    await page.GetByText("Signed in as").WaitForAsync();
    return page;
}

async Task ShootAsync(IPage page, string path, string file)
{
    var response = await page.GotoAsync($"{baseUrl}{path}");
    if (response is not { Ok: true }) throw new InvalidOperationException($"{path}: HTTP {response?.Status}");
    await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(outDir, file), FullPage = true });
    Console.WriteLine($"{file}: {path}");
}

var office = await SignInAsync(staff);
await ShootAsync(office, $"/announcements/{announcement}", "report.png");
await ShootAsync(office, $"/contacts/{contact}", "contact-log.png");
var team = await SignInAsync(support);
await ShootAsync(team, $"/support?q={Uri.EscapeDataString(address)}&channel=email", "support-console.png");
await ShootAsync(team, "/support/queue", "queue-monitor.png");
return 0;
