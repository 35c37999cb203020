using System.Text;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.Reasoning;

namespace R1Sharp.Inference.Tests.Reasoning;

public class ReasoningSplitterTests
{
    private static (string Reasoning, string Answer) Run(bool startsInReasoning, IEnumerable<string> chunks)
    {
        var s = new ReasoningSplitter(startsInReasoning ? ReasoningPhase.Thought : ReasoningPhase.Undecided);
        var r = new StringBuilder();
        var a = new StringBuilder();
        bool answerSeen = false;
        var parts = new List<(TextChannel Channel, string Text)>();
        void Take()
        {
            foreach (var (channel, text) in parts)
            {
                if (channel == TextChannel.Reasoning)
                {
                    Assert.False(answerSeen, "reasoning after the answer started");
                    r.Append(text);
                }
                else { answerSeen = true; a.Append(text); }
            }
            parts.Clear();
        }
        foreach (var c in chunks) { s.Push(c, parts); Take(); }
        s.Flush(parts);
        Take();
        Assert.DoesNotContain("<think>", r.ToString());
        Assert.DoesNotContain("</think>", r.ToString());
        Assert.DoesNotContain("<think>", a.ToString());
        Assert.DoesNotContain("</think>", a.ToString());
        return (r.ToString(), a.ToString());
    }

    [Theory]
    // The prompt opened <think> (R1's templates): reasoning until </think>, whitespace around both trimmed.
    [InlineData(true, "\nLet me think.\nOK.\n</think>\n\nThe answer is 4.", "Let me think.\nOK.", "The answer is 4.")]
    // The model repeats <think> although the prompt opened it.
    [InlineData(true, "<think>\nabc\n</think>\n\nxyz", "abc", "xyz")]
    // The model opens <think> itself.
    [InlineData(false, "<think>\nabc\n</think>\n\nxyz", "abc", "xyz")]
    [InlineData(false, "  \n<think>abc</think>xyz", "abc", "xyz")]
    // A model that skips thinking: everything is answer; tags are control, dropped wherever they appear.
    [InlineData(false, "Hello <think> world </think> end", "", "Hello  world  end")]
    // A closing tag before any thought starts the answer; a repeated opening tag inside the thought is dropped.
    [InlineData(false, " </think>\n\nx<think>y", "", "xy")]
    [InlineData(true, "a<think>b\n<think>\n</think>c", "ab", "c")]
    // Empty thought (what the zero-budget prompt produces when the model echoes it).
    [InlineData(true, "\n</think>\n\nDirect answer.", "", "Direct answer.")]
    // Stream ends inside the thought (max tokens): all reasoning, trailing whitespace trimmed.
    [InlineData(true, "still thinking about it \n", "still thinking about it", "")]
    // A partial tag at the end is text.
    [InlineData(true, "abc </thi", "abc </thi", "")]
    [InlineData(false, "<thi", "", "<thi")]
    // Answer keeps its trailing whitespace; reasoning keeps inner whitespace and other tags; think tags go.
    [InlineData(true, "a  <b>\n\n c</think>  x <think> y \n", "a  <b>\n\n c", "x  y \n")]
    [InlineData(true, "", "", "")]
    public void SplitsLikeDeepSeeksApi(bool startsInReasoning, string text, string reasoning, string answer)
    {
        Assert.Equal((reasoning, answer), Run(startsInReasoning, [text]));
        // one character at a time
        Assert.Equal((reasoning, answer), Run(startsInReasoning, text.Select(c => c.ToString())));
    }

    private static IEnumerable<List<string>> AllChunkings(string s)
    {
        int cuts = s.Length - 1;
        for (long mask = 0; mask < 1L << cuts; mask++)
        {
            var parts = new List<string>();
            int start = 0;
            for (int i = 0; i < cuts; i++)
                if ((mask >> i & 1) != 0) { parts.Add(s[start..(i + 1)]); start = i + 1; }
            parts.Add(s[start..]);
            yield return parts;
        }
    }

    [Theory]
    [InlineData(false, "<think>a\n</think> b")]
    [InlineData(true, " x</think>\n\ny ")]
    [InlineData(true, "<think>\n</think>z")]
    [InlineData(false, " <thinkX>q")]
    [InlineData(false, "<think>b</think><")]
    [InlineData(true, "x</th</think><th")]
    public void EveryChunkingGivesTheSameParts(bool startsInReasoning, string text)
    {
        var whole = Run(startsInReasoning, [text]);
        foreach (var chunks in AllChunkings(text)) Assert.Equal(whole, Run(startsInReasoning, chunks));
    }

    [Fact]
    public void RandomChunkingsOfALongStreamGiveTheSameParts()
    {
        string text = "<think>\nOkay, so 12 * 25. Let me think: 12 * 25 = 300.\n\nCheck: 300 / 25 = 12 </ think> no.\n</think>\n\nThe answer is **300**.\n";
        var whole = Run(false, [text]);
        Assert.Equal(("Okay, so 12 * 25. Let me think: 12 * 25 = 300.\n\nCheck: 300 / 25 = 12 </ think> no.", "The answer is **300**.\n"), whole);
        var rng = new Random(1234);
        for (int trial = 0; trial < 2000; trial++)
        {
            var chunks = new List<string>();
            for (int i = 0; i < text.Length;)
            {
                int len = Math.Min(text.Length - i, 1 + rng.Next(9));
                chunks.Add(text.Substring(i, len));
                i += len;
            }
            Assert.Equal(whole, Run(false, chunks));
        }
    }

    [Fact]
    public void PhaseTracksTheState()
    {
        var s = new ReasoningSplitter(ReasoningPhase.Thought);
        var parts = new List<(TextChannel, string)>();
        s.Push("abc </thi", parts);
        Assert.Equal(ReasoningPhase.Thought, s.Phase);
        s.Push("nk>", parts);
        Assert.Equal(ReasoningPhase.Answer, s.Phase);
        var undecided = new ReasoningSplitter(ReasoningPhase.Undecided);
        undecided.Push(" \n<th", parts);
        Assert.Equal(ReasoningPhase.Undecided, undecided.Phase);
        undecided.Push("ink>", parts);
        Assert.Equal(ReasoningPhase.Thought, undecided.Phase);
    }
}
