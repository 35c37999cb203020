using System.Globalization;
using System.Security;
using System.Text;

namespace R1Sharp.Training.Grpo;

/// <summary>One line of a chart: a name for the legend, its points (x ascending) and a CSS color.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, string Color, bool Faint = false);

/// <summary>
/// A line chart as a standalone SVG document (no scripts, no external resources): axes with rounded ticks, a grid,
/// one polyline per series and a legend. Non-finite points are skipped.
/// </summary>
public static class SvgLineChart
{
    private const int Width = 720, Height = 400, Left = 64, Right = 16, Top = 40, Bottom = 48;

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series)
    {
        var pts = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        double x0 = pts.Count > 0 ? pts.Min(p => p.X) : 0, x1 = pts.Count > 0 ? pts.Max(p => p.X) : 1;
        double y0 = pts.Count > 0 ? pts.Min(p => p.Y) : 0, y1 = pts.Count > 0 ? pts.Max(p => p.Y) : 1;
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) { y0 -= 0.5; y1 += 0.5; }
        var yTicks = Ticks(y0, y1);
        var xTicks = Ticks(x0, x1);
        y0 = Math.Min(y0, yTicks[0]); y1 = Math.Max(y1, yTicks[^1]);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(double x) => Left + (x - x0) / (x1 - x0) * plotW;
        double Y(double y) => Top + (1 - (y - y0) / (y1 - y0)) * plotH;
        static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{Width / 2}\" y=\"17\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        foreach (double t in yTicks)
        {
            if (t < y0 || t > y1) continue;
            sb.Append($"<line x1=\"{Left}\" y1=\"{F(Y(t))}\" x2=\"{Width - Right}\" y2=\"{F(Y(t))}\" stroke=\"#e5e5e5\"/>\n");
            sb.Append($"<text x=\"{Left - 6}\" y=\"{F(Y(t) + 4)}\" text-anchor=\"end\">{Label(t)}</text>\n");
        }
        foreach (double t in xTicks)
        {
            if (t < x0 || t > x1) continue;
            sb.Append($"<line x1=\"{F(X(t))}\" y1=\"{Top + plotH}\" x2=\"{F(X(t))}\" y2=\"{Top + plotH + 4}\" stroke=\"#333\"/>\n");
            sb.Append($"<text x=\"{F(X(t))}\" y=\"{Top + plotH + 18}\" text-anchor=\"middle\">{Label(t)}</text>\n");
        }
        sb.Append($"<polyline points=\"{Left},{Top} {Left},{Top + plotH} {Width - Right},{Top + plotH}\" fill=\"none\" stroke=\"#333\"/>\n");
        sb.Append($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        sb.Append($"<text x=\"14\" y=\"{Top + plotH / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Top + plotH / 2})\">{Esc(yLabel)}</text>\n");
        int legend = 0;
        foreach (var s in series)
        {
            var line = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => $"{F(X(p.X))},{F(Y(p.Y))}").ToList();
            if (line.Count == 0) continue;
            string width = s.Faint ? "1" : "2", opacity = s.Faint ? "0.45" : "1";
            sb.Append(line.Count == 1
                ? $"<circle cx=\"{line[0].Split(',')[0]}\" cy=\"{line[0].Split(',')[1]}\" r=\"3\" fill=\"{s.Color}\"/>\n"
                : $"<polyline points=\"{string.Join(' ', line)}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"{width}\" stroke-opacity=\"{opacity}\"/>\n");
            int lx = Left + 10 + legend * 150;
            sb.Append($"<line x1=\"{lx}\" y1=\"{Top - 8}\" x2=\"{lx + 18}\" y2=\"{Top - 8}\" stroke=\"{s.Color}\" stroke-width=\"{width}\" stroke-opacity=\"{opacity}\"/>\n");
            sb.Append($"<text x=\"{lx + 22}\" y=\"{Top - 4}\">{Esc(s.Name)}</text>\n");
            legend++;
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>About five round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi].</summary>
    public static double[] Ticks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        double start = Math.Floor(lo / step) * step, end = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (double t = start; t <= end + step * 1e-9; t += step) ticks.Add(Math.Round(t / step) * step);
        return [.. ticks];
    }

    private static string Label(double v) => Math.Abs(v) >= 1e4 || (v != 0 && Math.Abs(v) < 1e-3)
        ? v.ToString("0.##e0", CultureInfo.InvariantCulture)
        : v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
