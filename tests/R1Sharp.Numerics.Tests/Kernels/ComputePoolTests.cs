using R1Sharp.Numerics.Kernels;

namespace R1Sharp.Numerics.Tests.Kernels;

public class ComputePoolTests
{
    [Fact]
    public void RunsEveryIndexExactlyOnce()
    {
        var pool = new ComputePool(3);
        for (int round = 0; round < 200; round++)
        {
            int n = round % 17;
            var hits = new int[n];
            pool.For(n, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void PropagatesExceptionsAndStaysUsable()
    {
        var pool = new ComputePool(2);
        Assert.Throws<InvalidOperationException>(() => pool.For(10, i => { if (i == 5) throw new InvalidOperationException(); }));
        int sum = 0;
        pool.For(10, i => Interlocked.Add(ref sum, i));
        Assert.Equal(45, sum);
    }

    [Fact]
    public void NestedAndConcurrentCallsComplete()
    {
        var pool = new ComputePool(2);
        int total = 0;
        Parallel.For(0, 4, _ => pool.For(8, i => pool.For(3, j => Interlocked.Increment(ref total))));
        Assert.Equal(4 * 8 * 3, total);
    }

    [Fact]
    public void WakesAfterWorkersWentToSleep()
    {
        var pool = new ComputePool(2) { SpinIterations = 1 };
        for (int round = 0; round < 50; round++)
        {
            if (round % 10 == 0) Thread.Sleep(5);
            int sum = 0;
            pool.For(4, i => Interlocked.Add(ref sum, i + 1));
            Assert.Equal(10, sum);
        }
    }
}
