using R1Sharp.Evaluation;

namespace R1Sharp.Evaluation.Tests;

public class CountdownVerifierTests
{
    private static readonly CountdownPuzzle Puzzle = new([3, 7, 25], 46);   // 3 * 7 + 25 = 46, 25 + 7 * 3 = 46, ...

    // Every case worked by hand: the numbers used (as a multiset) and the value with the usual precedence.
    [Theory]
    [InlineData("3 * 7 + 25", CountdownVerdict.Correct)]
    [InlineData("(3 * 7) + 25", CountdownVerdict.Correct)]
    [InlineData("25 + 7 * 3", CountdownVerdict.Correct)]                  // precedence: 7 * 3 first
    [InlineData("((25)) + (7 * 3)", CountdownVerdict.Correct)]
    [InlineData("  3*7+25  ", CountdownVerdict.Correct)]                   // whitespace anywhere
    [InlineData("3 * 7 + 25.", CountdownVerdict.Correct)]                  // the sentence's period
    [InlineData("3 × 7 + 25", CountdownVerdict.Correct)]                   // unicode times
    [InlineData("3 \\times 7 + 25", CountdownVerdict.Correct)]             // LaTeX
    [InlineData("3 * 7 + 25 = 46", CountdownVerdict.Correct)]              // stating the target
    [InlineData("46 = 3 * 7 + 25", CountdownVerdict.Correct)]
    [InlineData("$3 \\cdot 7 + 25$", CountdownVerdict.Correct)]
    [InlineData("3 * 7 + 25 = 47", CountdownVerdict.Malformed)]            // a wrong claim is not the target
    [InlineData("3 * 7 + 24", CountdownVerdict.WrongNumbers)]              // a number not given
    [InlineData("3 * 7 + 25 + 0", CountdownVerdict.WrongNumbers)]          // an extra number (even 0)
    [InlineData("7 * 7 - 3", CountdownVerdict.WrongNumbers)]               // 7 reused, 25 missing (value 46!)
    [InlineData("25 + 21", CountdownVerdict.WrongNumbers)]                 // 21 is not given, 3 and 7 missing
    [InlineData("3 + 7 + 25", CountdownVerdict.WrongValue)]                // 35
    [InlineData("(25 - 3) * 7", CountdownVerdict.WrongValue)]              // 154
    [InlineData("25 / (7 - 3)", CountdownVerdict.InexactDivision)]         // 25 / 4
    [InlineData("3 / 7 * 25", CountdownVerdict.InexactDivision)]
    [InlineData("-3 + 7 + 25", CountdownVerdict.Malformed)]                // no unary minus
    [InlineData("3 (7) + 25", CountdownVerdict.Malformed)]                 // no juxtaposition
    [InlineData("3 * 7 + 25)", CountdownVerdict.Malformed)]
    [InlineData("(3 * 7 + 25", CountdownVerdict.Malformed)]
    [InlineData("3 * 7 +", CountdownVerdict.Malformed)]
    [InlineData("3 ^ 7 + 25", CountdownVerdict.Malformed)]
    [InlineData("3.5 * 7 + 25", CountdownVerdict.Malformed)]
    [InlineData("forty-six", CountdownVerdict.Malformed)]
    [InlineData("", CountdownVerdict.Missing)]
    [InlineData(null, CountdownVerdict.Missing)]
    public void Verdicts(string? answer, CountdownVerdict expected) =>
        Assert.Equal(expected, CountdownVerifier.Check(answer, Puzzle).Verdict);

    [Theory]
    [InlineData("(25 \u2212 3) * 7")]      // U+2212 minus sign
    [InlineData("(25 \u2013 3) * 7")]      // en dash
    [InlineData("(25 \uFF0D 3) \u00D7 7")] // full-width hyphen-minus, multiplication sign
    public void UnicodeMinusIsMinus(string answer)
    {
        Assert.True(CountdownVerifier.Check(answer, new CountdownPuzzle([3, 7, 25], 154)).IsCorrect);
        Assert.Equal(CountdownVerdict.WrongValue, CountdownVerifier.Check(answer, Puzzle).Verdict);
    }

    [Fact]
    public void DivisionByZeroIsReportedNotThrown()
    {
        var puzzle = new CountdownPuzzle([5, 5, 3], 0);
        Assert.Equal(CountdownVerdict.DivisionByZero, CountdownVerifier.Check("3 / (5 - 5)", puzzle).Verdict);
        // 0 / 3 is exact (0); (5 - 5) / 3 = 0.
        Assert.Equal(CountdownVerdict.Correct, CountdownVerifier.Check("(5 - 5) / 3", puzzle).Verdict);
    }

    [Fact]
    public void ExactRationalArithmeticWhenFractionsAreAllowed()
    {
        // 7 / 2 * 4 = 14 only with exact fractions (integer division would give 12, floats could round).
        var puzzle = new CountdownPuzzle([7, 2, 4], 14);
        Assert.Equal(CountdownVerdict.InexactDivision, CountdownVerifier.Check("7 / 2 * 4", puzzle).Verdict);
        Assert.True(CountdownVerifier.Check("7 / 2 * 4", puzzle, allowFractions: true).IsCorrect);
        // 1/3 + 1/3 + 1/3 = 1 exactly.
        var thirds = new CountdownPuzzle([1, 3, 1, 3, 1, 3], 1);
        Assert.True(CountdownVerifier.Check("1/3 + 1/3 + 1/3", thirds, allowFractions: true).IsCorrect);
        var check = CountdownVerifier.Check("1/3 + 1/3 + 1/3 + 0", new CountdownPuzzle([1, 3, 1, 3, 1, 3, 0], 2), allowFractions: true);
        Assert.Equal((CountdownVerdict.WrongValue, 1, 1), (check.Verdict, (int)check.Numerator!, (int)check.Denominator!));
    }

    [Fact]
    public void RepeatedNumbersMustBeUsedAsOftenAsGiven()
    {
        var puzzle = new CountdownPuzzle([5, 5, 2], 12);
        Assert.True(CountdownVerifier.Check("5 + 5 + 2", puzzle).IsCorrect);
        Assert.Equal(CountdownVerdict.WrongNumbers, CountdownVerifier.Check("5 * 2 + 2", puzzle).Verdict);
        Assert.Equal(CountdownVerdict.WrongNumbers, CountdownVerifier.Check("5 + 5 + 2 + 5 - 5", puzzle).Verdict);
    }

    [Fact]
    public void ReasonsAreOneLine()
    {
        var check = CountdownVerifier.Check("(25 - 3) * 7", Puzzle);
        Assert.Equal("makes 154, not 46", check.Reason);
        Assert.Equal("uses 3, 7, 7; the numbers are 3, 7, 25, each exactly once", CountdownVerifier.Check("7 * 7 - 3", Puzzle).Reason);
    }

    [Theory]
    [InlineData("Using the numbers 3, 7, 25, make 46. Use each number exactly once with + - * /.", new[] { 3, 7, 25 }, 46)]
    [InlineData("<｜User｜>Using the numbers 1, 2, 3, 24, make 999. Use each number exactly once with + - * /.<｜Assistant｜><think>\n", new[] { 1, 2, 3, 24 }, 999)]
    public void PuzzleIsReadFromTheQuestion(string question, int[] numbers, long target)
    {
        var p = CountdownPuzzle.TryParse(question)!;
        Assert.Equal(numbers, p.Numbers);
        Assert.Equal(target, p.Target);
    }

    [Theory]
    [InlineData("What is 3 + 4?")]
    [InlineData("Using the numbers 3, x, 25, make 46.")]
    [InlineData("Using the numbers 3, 7, 25, make many.")]
    public void NonPuzzlesAreNotParsed(string question) => Assert.Null(CountdownPuzzle.TryParse(question));
}
