namespace R1Sharp.Training.Grpo;

/// <summary>
/// The GRPO loss of one completion token and its derivative in the token's log-prob:
/// ratio = exp(logp - old), L = -min(ratio A, clip(ratio, 1 - eps, 1 + eps_high) A) + beta (exp(ref - logp) - (ref - logp) - 1).
/// dL/dlogp = -A ratio where the unclipped term is the minimum (PyTorch's min/clamp gradients: ties count as
/// unclipped), 0 where the clipped one is, plus beta (1 - exp(ref - logp)).
/// </summary>
internal static class GrpoTokenLoss
{
    /// <param name="refLogp">ignored when beta is 0</param>
    public static double Evaluate(double logp, double oldLogp, double refLogp, double advantage, double epsilon, double epsilonHigh, double beta,
                                  out double dLogp, out double kl, out TokenClip clip)
    {
        double ratio = Math.Exp(logp - oldLogp);
        double clipped = Math.Clamp(ratio, 1 - epsilon, 1 + epsilonHigh);
        double unclippedTerm = ratio * advantage, clippedTerm = clipped * advantage;
        double loss;
        if (unclippedTerm <= clippedTerm)
        {
            loss = -unclippedTerm;
            dLogp = -unclippedTerm;
        }
        else
        {
            loss = -clippedTerm;
            dLogp = 0;
        }
        clip = ratio < 1 - epsilon && advantage < 0 ? TokenClip.Low
             : ratio > 1 + epsilonHigh && advantage > 0 ? TokenClip.High
             : TokenClip.None;
        kl = 0;
        if (beta != 0)
        {
            double d = refLogp - logp, e = Math.Exp(d);
            kl = e - d - 1;
            loss += beta * kl;
            dLogp += beta * (1 - e);
        }
        return loss;
    }
}
