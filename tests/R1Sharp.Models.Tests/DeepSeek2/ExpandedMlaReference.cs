using R1Sharp.Models.DeepSeek2;
using R1Sharp.Gguf;
using R1Sharp.Numerics.Tensors;

namespace R1Sharp.Models.Tests.DeepSeek2;

/// <summary>
/// A plain float64 forward of the deepseek2 layout that EXPANDS MLA the textbook way (per-head keys k = [W_k c, k_pe],
/// values v = W_v c), written from the DeepSeek-V2 paper's equations and llama.cpp's description (rope NORM on the
/// trailing dims, YaRN, sigmoid routing with bias for selection). Used to check the engine's absorbed attention.
/// </summary>
internal sealed class ExpandedMlaReference
{
    private readonly GgufFile _f;
    private readonly DeepSeek2Config _c;

    public ExpandedMlaReference(GgufFile file)
    {
        _f = file;
        _c = DeepSeek2Config.FromGguf(file);
    }

    private double[] W(string name) => WeightMatrix.FromGguf(_f, _f.GetTensor(name)).ToFloat32().Select(v => (double)v).ToArray();
    private bool Has(string name) => _f.TryGetTensor(name, out _);

    private static double[] MatVec(double[] w, double[] x, int rows, int cols, int rowOffset = 0)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++) s += w[(long)(r + rowOffset) * cols + c] * x[c];
            y[r] = s;
        }
        return y;
    }

    private double[] Rms(double[] x, double[] w)
    {
        double ss = x.Sum(v => v * v) / x.Length;
        double k = 1 / Math.Sqrt(ss + _c.RmsEpsilon);
        return x.Select((v, i) => v * k * w[i]).ToArray();
    }

    private void Rope(double[] x, int offset, int pos)
    {
        for (int i = 0; i < _c.RopeDims / 2; i++)
        {
            double t = _c.Rope.Theta(pos, i), cs = Math.Cos(t) * _c.Rope.Magnitude, sn = Math.Sin(t) * _c.Rope.Magnitude;
            double a = x[offset + 2 * i], b = x[offset + 2 * i + 1];
            x[offset + 2 * i] = a * cs - b * sn;
            x[offset + 2 * i + 1] = a * sn + b * cs;
        }
    }

    private static double Silu(double v) => v / (1 + Math.Exp(-v));

    private static double[] SwiGlu(double[] h, double[] g, double[] u, double[] d, int E, int F, int expert = 0)
    {
        var a = MatVec(g, h, F, E, expert * F);
        var b = MatVec(u, h, F, E, expert * F);
        var m = a.Select((v, i) => Silu(v) * b[i]).ToArray();
        return MatVec(d, m, E, F, expert * E);
    }

    public double[][] Forward(int[] tokens)
    {
        var c = _c;
        int T = tokens.Length, E = c.EmbeddingLength, H = c.HeadCount, r = c.KvLoraRank, R = c.RopeDims, nope = c.NopeDims, DK = c.KeyLength, DV = c.ValueLength;
        var emb = W("token_embd.weight");
        var x = tokens.Select(t => emb.AsSpan(t * E, E).ToArray()).ToArray();
        for (int l = 0; l < c.LayerCount; l++)
        {
            string p = $"blk.{l}.";
            var qa = W(p + "attn_q_a.weight"); var qaN = W(p + "attn_q_a_norm.weight"); var qb = W(p + "attn_q_b.weight");
            var kva = W(p + "attn_kv_a_mqa.weight"); var kvaN = W(p + "attn_kv_a_norm.weight"); var kvb = W(p + "attn_kv_b.weight");
            var wo = W(p + "attn_output.weight");
            var q = new double[T][]; var k = new double[T][]; var v = new double[T][];
            for (int t = 0; t < T; t++)
            {
                var h = Rms(x[t], W(p + "attn_norm.weight"));
                q[t] = MatVec(qb, Rms(MatVec(qa, h, c.QLoraRank, E), qaN), H * DK, c.QLoraRank);
                var kv = MatVec(kva, h, r + R, E);
                var latent = Rms(kv[..r], kvaN);
                var kpe = kv[r..];
                Rope(kpe, 0, t);
                var full = MatVec(kvb, latent, H * (nope + DV), r);   // expanded per-head k_nope and v
                k[t] = new double[H * DK]; v[t] = new double[H * DV];
                for (int hh = 0; hh < H; hh++)
                {
                    Rope(q[t], hh * DK + nope, t);
                    Array.Copy(full, hh * (nope + DV), k[t], hh * DK, nope);
                    Array.Copy(kpe, 0, k[t], hh * DK + nope, R);
                    Array.Copy(full, hh * (nope + DV) + nope, v[t], hh * DV, DV);
                }
            }
            for (int t = 0; t < T; t++)
            {
                var o = new double[H * DV];
                for (int hh = 0; hh < H; hh++)
                {
                    var s = new double[t + 1];
                    for (int j = 0; j <= t; j++)
                    {
                        double d = 0;
                        for (int z = 0; z < DK; z++) d += q[t][hh * DK + z] * k[j][hh * DK + z];
                        s[j] = d * c.AttentionScale;
                    }
                    double mx = s.Max(), sum = 0;
                    for (int j = 0; j <= t; j++) { s[j] = Math.Exp(s[j] - mx); sum += s[j]; }
                    for (int j = 0; j <= t; j++)
                        for (int z = 0; z < DV; z++) o[hh * DV + z] += s[j] / sum * v[j][hh * DV + z];
                }
                var ao = MatVec(wo, o, E, H * DV);
                for (int i = 0; i < E; i++) x[t][i] += ao[i];
            }
            for (int t = 0; t < T; t++)
            {
                var h = Rms(x[t], W(p + "ffn_norm.weight"));
                double[] y;
                if (l < c.LeadingDenseLayers)
                    y = SwiGlu(h, W(p + "ffn_gate.weight"), W(p + "ffn_up.weight"), W(p + "ffn_down.weight"), E, c.FeedForwardLength);
                else
                {
                    var logits = MatVec(W(p + "ffn_gate_inp.weight"), h, c.ExpertCount, E);
                    var probs = logits.Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
                    var bias = Has(p + "exp_probs_b.bias") ? W(p + "exp_probs_b.bias") : new double[c.ExpertCount];
                    var chosen = Enumerable.Range(0, c.ExpertCount).OrderByDescending(e => probs[e] + bias[e]).Take(c.ExpertsUsed).ToArray();
                    double wsum = chosen.Sum(e => probs[e]);
                    y = SwiGlu(h, W(p + "ffn_gate_shexp.weight"), W(p + "ffn_up_shexp.weight"), W(p + "ffn_down_shexp.weight"), E, c.ExpertFeedForwardLength * c.SharedExperts);
                    foreach (int e in chosen)
                    {
                        var ye = SwiGlu(h, W(p + "ffn_gate_exps.weight"), W(p + "ffn_up_exps.weight"), W(p + "ffn_down_exps.weight"), E, c.ExpertFeedForwardLength, e);
                        double we = (c.ExpertWeightsNorm ? probs[e] / wsum : probs[e]) * c.ExpertWeightsScale;
                        for (int i = 0; i < E; i++) y[i] += we * ye[i];
                    }
                }
                for (int i = 0; i < E; i++) x[t][i] += y[i];
            }
        }
        var outN = W("output_norm.weight");
        var outW = W("output.weight");
        return x.Select(xt => MatVec(outW, Rms(xt, outN), c.VocabSize, E)).ToArray();
    }
}
