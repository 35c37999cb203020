using System.Globalization;

namespace R1Sharp.Cli.Commands;

/// <summary>Sizes and counts as people read them: 1.3 MiB, 657.0 K, 7.62 B (never "0 MiB" or "0.00 B" for a small model).</summary>
internal static class HumanUnits
{
    private static readonly string[] s_byteUnits = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>Binary units, three or four significant digits: 512 bytes, 1.26 KiB, 48.0 MiB, 384.0 MiB, 13.1 GiB.</summary>
    public static string Bytes(double bytes)
    {
        int unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < s_byteUnits.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes.ToString("0", CultureInfo.InvariantCulture)} bytes" : $"{Digits(bytes)} {s_byteUnits[unit]}";
    }

    /// <summary>Decimal units for counts of parameters or tokens: 657, 657.0 K, 1.50 M, 7.62 B.</summary>
    public static string Count(double n) => Math.Abs(n) switch
    {
        >= 1e12 => $"{Digits(n / 1e12)} T",
        >= 1e9 => $"{Digits(n / 1e9)} B",
        >= 1e6 => $"{Digits(n / 1e6)} M",
        >= 1e3 => $"{Digits(n / 1e3)} K",
        _ => n.ToString("0", CultureInfo.InvariantCulture),
    };

    private static string Digits(double v) => v.ToString(Math.Abs(v) >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);
}
