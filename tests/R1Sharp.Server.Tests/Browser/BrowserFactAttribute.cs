namespace R1Sharp.Server.Tests.Browser;

/// <summary>A browser test: skipped, with the reason, when Debian's Chromium is not installed (CI installs it).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(ChromiumPath))
            Skip = $"Chromium not found at {ChromiumPath}: install it (apt-get install -y chromium; .ci/run does) to run the browser tests";
    }
}
