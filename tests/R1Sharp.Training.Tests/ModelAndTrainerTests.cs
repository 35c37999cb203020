using System.Text.Json;
using R1Sharp.Gguf;
using R1Sharp.Models;
using R1Sharp.Numerics.Kernels;
using R1Sharp.TestSupport;
using R1Sharp.Training.Data;

namespace R1Sharp.Training.Tests;

/// <summary>An inference model and a trainer in one process share no compute state: run at the same time on two
/// threads, each gives exactly the bits it gives alone.</summary>
public class ModelAndTrainerTests
{
    [Fact]
    public async Task ATrainerAndAModelRunningTogetherGiveTheirResultsAlone()
    {
        var json = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("golden", "train", "tiny-qwen2-s1-f32.train.json"))).RootElement;
        var rows = json.GetProperty("batch").EnumerateArray()
            .Select(r => new TrainingExample(r.EnumerateArray().Select(x => x.GetInt32()).ToArray(), null)).ToList();
        using var trainFile = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-qwen2-s1-f32.gguf"));
        using var trainPool = new ComputePool(2) { SpinIterations = 0 };
        using var trainer = ModelGguf.Load(trainFile, trainPool);

        using var inferFile = GgufFile.Open(Fixtures.Path("golden", "models", "tiny-llama-s1-q4_k_m.gguf"));
        using var model = ModelLoader.Load(inferFile, new ModelLoadOptions { Threads = 2 });
        int vocab = model.Config.VocabSize;
        int[] prompt = Enumerable.Range(0, 80).Select(i => (i * 37 + 11) % vocab).ToArray();

        (double Loss, float[] Gradients) Train()
        {
            double loss = trainer.LossAndGradients(rows);
            return (loss, trainer.Gradients.All.ToArray());
        }
        float[] Infer()
        {
            var logits = new float[prompt.Length * vocab];
            using var seq = model.CreateSequence(prompt.Length);
            model.Forward([new ForwardItem(seq, prompt, logits, AllLogits: true)]);
            return logits;
        }

        var (loss, gradients) = Train();
        float[] logits = Infer();
        await Task.WhenAll(
            Task.Factory.StartNew(() =>
            {
                for (int i = 0; i < 2; i++)
                {
                    var (l, g) = Train();
                    Assert.Equal(loss, l);
                    Assert.Equal(gradients, g);
                }
            }, TaskCreationOptions.LongRunning),
            Task.Factory.StartNew(() => { for (int i = 0; i < 4; i++) Assert.Equal(logits, Infer()); }, TaskCreationOptions.LongRunning))
            .WaitAsync(TimeSpan.FromMinutes(3));
    }
}
