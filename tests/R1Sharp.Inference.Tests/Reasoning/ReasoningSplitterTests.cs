using System.Text;
using R1Sharp.Inference.Reasoning;

namespace R1Sharp.Inference.Tests.Reasoning;

public class ReasoningSplitterTests
{
    private static (string Reasoning, string Answer) Run(bool startsInReasoning, IEnumerable<string> chunks)
    {
        var s = new ReasoningSplitter(startsInReasoning);
        var r = new StringBuilder();
        var a = new StringBuilder();
        bool answerSeen = false;
        void Take(IReadOnlyList<(ReasoningPart Part, string Text)> parts)
        {
            foreach (var (part, text) in parts)
            {
                Assert.DoesNotContain("</think>", part == ReasoningPart.Reasoning ? text : "");
                if (part == ReasoningPart.Reasoning)
                {
                    Assert.False(answerSeen, "reasoning after the answer started");
                    r.Append(text);
                }
                else { answerSeen = true; a.Append(text); }
            }
        }
        foreach (var c in chunks) Take(s.Push(c));
        Take(s.Flush());
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
    // A model that skips thinking: everything is answer, tags inside it are left alone.
    [InlineData(false, "Hello <think> world </think> end", "", "Hello <think> world </think> end")]
    // Empty thought (what the zero-budget prompt produces when the model echoes it).
    [InlineData(true, "\n</think>\n\nDirect answer.", "", "Direct answer.")]
    // Stream ends inside the thought (max tokens): all reasoning, trailing whitespace trimmed.
    [InlineData(true, "still thinking about it \n", "still thinking about it", "")]
    // A partial tag at the end is text.
    [InlineData(true, "abc </thi", "abc </thi", "")]
    [InlineData(false, "<thi", "", "<thi")]
    // Answer keeps its trailing whitespace and inner tags; reasoning keeps inner whitespace and other tags.
    [InlineData(true, "a  <b>\n\n c</think>  x <think> y \n", "a  <b>\n\n c", "x <think> y \n")]
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
    public void InReasoningTracksTheState()
    {
        var s = new ReasoningSplitter(startsInReasoning: true);
        Assert.True(s.InReasoning);
        s.Push("abc </thi");
        Assert.True(s.InReasoning);
        s.Push("nk>");
        Assert.False(s.InReasoning);
        Assert.True(s.ReasoningEnded);
    }
}
