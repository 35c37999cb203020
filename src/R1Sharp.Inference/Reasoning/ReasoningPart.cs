namespace R1Sharp.Inference.Reasoning;

public enum ReasoningPart { Reasoning, Answer }
