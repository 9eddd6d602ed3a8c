using Microsoft.Playwright;

namespace TraceLink.Server.Tests.Explorer;

/// <summary>
/// Starts the backend under test and the system's headless Chromium (Debian <c>chromium</c>, listed in
/// .ci/setup-packages) driven by Playwright; Playwright's own browser download is never used.
/// </summary>
public sealed class ExplorerBrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>Null when Chromium is not installed; the tests then say so and return.</summary>
    public IBrowser? Browser { get; private set; }

    internal IExplorerBackend Backend { get; private set; } = null!;

    public string? UnavailableReason { get; private set; }

    public async Task InitializeAsync()
    {
        var url = Environment.GetEnvironmentVariable("TRACELINK_URL");
        if (!string.IsNullOrEmpty(url))
        {
            Backend = await RunningServerBackend.AttachAsync(new Uri(url));
        }
        else
        {
            var (real, missing) = await RunningServerBackend.TryStartAsync();
            Backend = real ?? throw new InvalidOperationException($"the tracelink server does not serve {missing}");
        }

        if (!File.Exists(ChromiumPath))
        {
            UnavailableReason = $"{ChromiumPath} is not installed (Debian package chromium, see .ci/setup-packages)";
            return;
        }

        _playwright = await Playwright.CreateAsync();
        // Playwright gives every launch a fresh temporary profile, which is the fresh --user-data-dir we need.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Backend is not null)
        {
            await Backend.DisposeAsync();
        }
    }

    /// <summary>The repository's docs/screenshots folder, found from the test binary's location.</summary>
    public static string ScreenshotDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TraceLink.sln")))
            {
                var path = Path.Combine(dir.FullName, "docs", "screenshots");
                Directory.CreateDirectory(path);
                return path;
            }
        }

        throw new InvalidOperationException("TraceLink.sln not found above " + AppContext.BaseDirectory);
    }
}
