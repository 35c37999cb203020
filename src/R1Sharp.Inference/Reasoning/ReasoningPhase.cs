namespace R1Sharp.Inference.Reasoning;

/// <summary>Where a generation stands with respect to its thought.</summary>
public enum ReasoningPhase
{
    /// <summary>The prompt did not open a thought and the model has written nothing but whitespace: it may still open one.</summary>
    Undecided,
    /// <summary>Inside &lt;think&gt; ... &lt;/think&gt;.</summary>
    Thought,
    /// <summary>The thought is closed (or there was none): everything from here is answer.</summary>
    Answer,
}
