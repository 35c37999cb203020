// Training throughput on the reference configuration of issue 3 (qwen2 layout, 384 hidden, 6 layers, 6 heads,
// 2 KV heads, FFN 1024, vocabulary 1024, untied output; batch 8 x 256; AdamW), forward + backward + optimizer,
// side by side with PyTorch's torch_train_speed.py when python3 with torch is available (run.sh does both).
// usage: dotnet run -c Release --project bench/train-speed [-- --threads 2 --steps 8]
using System.Diagnostics;
using R1Sharp.Numerics;
using R1Sharp.Numerics.Kernels;
using R1Sharp.Models;
using R1Sharp.Training;
using R1Sharp.Training.Data;

int threads = 2, steps = 8;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--threads") threads = int.Parse(args[i + 1]);
    else if (args[i] == "--steps") steps = int.Parse(args[i + 1]);
}
const int B = 8, T = 256;
var config = ModelConfig.Dense("qwen2", vocabSize: 1024, embeddingLength: 384, layerCount: 6, headCount: 6, headCountKv: 2,
    feedForwardLength: 1024, contextLength: 512, qkvBias: true);
using var pool = new ComputePool(threads) { SpinIterations = 0 }; // as r1 train: long loops, idle threads sleep
using var model = new TrainableModel(config, pool);
var rng = new Xoshiro256StarStar(1);
foreach (var t in model.Parameters.Tensors)
{
    var s = t.Span;
    if (t.Name.EndsWith("norm.weight")) s.Fill(1);
    else for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextGaussian() * 0.02);
}
using var opt = new AdamW(model.Parameters, new AdamWOptions(), pool);
var rows = Enumerable.Range(0, B).Select(_ => new TrainingExample(Enumerable.Range(0, T + 1).Select(_ => rng.NextInt(1024)).ToArray(), null)).ToList();
Console.WriteLine($"R1Sharp: params {model.ParameterCount}, batch {B}x{T}, {threads} threads, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
var times = new List<double>();
var profile = new KernelProfile();
double fwdBwd = 0, adam = 0;
for (int step = 0; step < steps; step++)
{
    if (step == 2) { profile.Reset(); fwdBwd = 0; adam = 0; model.Profile = profile; }
    var sw = Stopwatch.StartNew();
    double loss = model.LossAndGradients(rows);
    double t1 = sw.Elapsed.TotalSeconds;
    opt.Update(model.Parameters, model.Gradients, 1e-3);
    double total = sw.Elapsed.TotalSeconds;
    if (step >= 2) { fwdBwd += t1; adam += total - t1; }
    times.Add(total);
    Console.WriteLine($"  step {step + 1}: loss {loss:F4}, {total * 1000:F0} ms");
}
var measured = times.Skip(2).OrderBy(x => x).ToList();
double best = measured[0], median = measured[measured.Count / 2];
Console.WriteLine($"R1Sharp: step best {best * 1000:F0} ms, median {median * 1000:F0} ms; tokens/s best {B * T / best:F0}, median {B * T / median:F0}");
int n = measured.Count;
Console.WriteLine($"where the time goes (mean per step over {n} steps):");
double kernels = profile.Seconds.Sum();
for (int k = 0; k < KernelProfile.Names.Length; k++)
    Console.WriteLine($"  {KernelProfile.Names[k],-14} {profile.Seconds[k] / n * 1000,8:F1} ms  {profile.Seconds[k] / (fwdBwd + adam) * 100,5:F1}%");
Console.WriteLine($"  {"other fwd/bwd",-14} {(fwdBwd - kernels) / n * 1000,8:F1} ms  {(fwdBwd - kernels) / (fwdBwd + adam) * 100,5:F1}%");
Console.WriteLine($"  {"adamw",-14} {adam / n * 1000,8:F1} ms  {adam / (fwdBwd + adam) * 100,5:F1}%");
