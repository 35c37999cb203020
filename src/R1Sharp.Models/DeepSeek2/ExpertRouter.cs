namespace R1Sharp.Models.DeepSeek2;

/// <summary>
/// DeepSeekMoE routing for one token, as llama.cpp's build_moe_ffn does for deepseek2:
/// probs = sigmoid(logits) (gating 2) or softmax(logits) (gating 1); selection scores = probs + exp_probs_b (bias used
/// for choosing only); optional group-limited routing (DeepSeek-V3's n_group/topk_group: a group's score is the sum of
/// its two best selection scores, only the best ExpertGroupsUsed groups stay eligible); top-k by selection score;
/// weights are the UNBIASED probs of the chosen experts, divided by their sum when normalizing, times the scale.
/// </summary>
internal sealed class ExpertRouter(int expertCount, int expertsUsed, int gatingFunction, bool normalize, float scale,
                                 int groups = 0, int groupsUsed = 0)
{
    private readonly float[] _probs = new float[expertCount];
    private readonly float[] _select = new float[expertCount];
    private readonly float[] _groupScore = new float[Math.Max(groups, 1)];
    private readonly bool[] _taken = new bool[expertCount];

    public int ExpertCount => expertCount;
    public int ExpertsUsed => expertsUsed;

    /// <summary>Routes one token. <paramref name="bias"/> may be empty. Writes expertsUsed ids and weights.</summary>
    public void Route(ReadOnlySpan<float> logits, ReadOnlySpan<float> bias, Span<int> experts, Span<float> weights)
    {
        int n = expertCount;
        if (gatingFunction == 2)
        {
            for (int e = 0; e < n; e++) _probs[e] = 1f / (1f + MathF.Exp(-logits[e]));
        }
        else
        {
            float max = float.NegativeInfinity;
            for (int e = 0; e < n; e++) max = MathF.Max(max, logits[e]);
            float sum = 0;
            for (int e = 0; e < n; e++) { _probs[e] = MathF.Exp(logits[e] - max); sum += _probs[e]; }
            for (int e = 0; e < n; e++) _probs[e] /= sum;
        }
        for (int e = 0; e < n; e++) _select[e] = _probs[e] + (bias.IsEmpty ? 0 : bias[e]);

        if (groups > 1 && groupsUsed > 0 && groupsUsed < groups)
        {
            int perGroup = n / groups;
            for (int g = 0; g < groups; g++)
            {
                float best = float.NegativeInfinity, second = float.NegativeInfinity;
                for (int e = g * perGroup; e < (g + 1) * perGroup; e++)
                {
                    float s = _select[e];
                    if (s > best) { second = best; best = s; }
                    else if (s > second) second = s;
                }
                _groupScore[g] = perGroup >= 2 ? best + second : best;
            }
            // keep the groupsUsed best groups: mask every expert of the others
            for (int drop = 0; drop < groups - groupsUsed; drop++)
            {
                int worst = -1;
                for (int g = 0; g < groups; g++)
                    if (!float.IsNegativeInfinity(_groupScore[g]) && (worst < 0 || _groupScore[g] < _groupScore[worst])) worst = g;
                _groupScore[worst] = float.NegativeInfinity;
                for (int e = worst * perGroup; e < (worst + 1) * perGroup; e++) _select[e] = float.NegativeInfinity;
            }
        }

        // top-k by selection score (ties and NaN scores, from NaN weights: lower id first)
        for (int k = 0; k < expertsUsed; k++)
        {
            int best = -1;
            for (int e = 0; e < n; e++)
                if (!_taken[e] && (best < 0 || _select[e] > _select[best])) best = e;
            experts[k] = best;
            weights[k] = _probs[best];
            _taken[best] = true;
        }
        for (int k = 0; k < expertsUsed; k++) _taken[experts[k]] = false;
        if (normalize)
        {
            float sum = 0;
            for (int k = 0; k < expertsUsed; k++) sum += weights[k];
            for (int k = 0; k < expertsUsed; k++) weights[k] /= sum;
        }
        for (int k = 0; k < expertsUsed; k++) weights[k] *= scale;
    }
}
