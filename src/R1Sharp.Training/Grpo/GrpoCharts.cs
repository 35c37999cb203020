using System.Text.Json;

namespace R1Sharp.Training.Grpo;

/// <summary>
/// The curves of a GRPO run, drawn from its log into the run directory: reward.svg (mean reward and each reward
/// function's mean), accuracy.svg and completion_length.svg (mean, min and max tokens), over optimizer steps: the
/// curves of the R1 paper.
/// </summary>
public static class GrpoCharts
{
    public static readonly string[] Files = ["reward.svg", "accuracy.svg", "completion_length.svg"];
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    public static void Write(string logPath, string dir)
    {
        var rows = new List<JsonElement>();
        foreach (string line in File.ReadLines(logPath))
        {
            if (StepLog.StepOf(line) is null) continue;
            using var d = JsonDocument.Parse(line);
            rows.Add(d.RootElement.Clone());
        }
        List<(double, double)> Series(string key) => rows
            .Where(r => r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number)
            .Select(r => ((double)r.GetProperty("step").GetInt32(), r.GetProperty(key).GetDouble())).ToList();

        var reward = new List<ChartSeries> { new("reward (weighted sum)", Series("reward"), Colors[0]) };
        var names = rows.SelectMany(r => r.EnumerateObject().Select(p => p.Name))
            .Where(n => n.StartsWith("rewards/", StringComparison.Ordinal) && n.EndsWith("/mean", StringComparison.Ordinal)).Distinct().ToList();
        for (int i = 0; i < names.Count; i++)
            reward.Add(new(names[i]["rewards/".Length..^"/mean".Length], Series(names[i]), Colors[(i + 1) % Colors.Length], Faint: true));
        WriteFile(dir, Files[0], SvgLineChart.Render("Reward", "step", "mean reward", reward));
        WriteFile(dir, Files[1], SvgLineChart.Render("Accuracy", "step", "share of correct completions",
            [new ChartSeries("accuracy", Series("accuracy"), Colors[2])]));
        WriteFile(dir, Files[2], SvgLineChart.Render("Completion length", "step", "tokens",
        [
            new ChartSeries("mean", Series("completions/mean_length"), Colors[0]),
            new ChartSeries("min", Series("completions/min_length"), Colors[1], Faint: true),
            new ChartSeries("max", Series("completions/max_length"), Colors[3], Faint: true),
        ]));
    }

    private static void WriteFile(string dir, string name, string svg)
    {
        string path = Path.Combine(dir, name), tmp = path + ".tmp";
        File.WriteAllText(tmp, svg);
        File.Move(tmp, path, overwrite: true);
    }
}
