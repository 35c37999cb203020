using R1Sharp.Gguf;
using R1Sharp.Numerics;

namespace R1Sharp.Training;

/// <summary>
/// The order a trainer visits its rows in: a seeded permutation, reshuffled at every epoch, with its cursor. Saved in
/// and restored from checkpoints (r1.train.epoch, cursor, order, rng), so a resumed run visits the same rows.
/// </summary>
public sealed class ShuffledOrder
{
    private Xoshiro256StarStar _rng;
    private int[] _order;
    private int _cursor;

    public int Epoch { get; private set; }

    public ShuffledOrder(int count, ulong seed)
    {
        _rng = new Xoshiro256StarStar(seed);
        _order = Enumerable.Range(0, count).ToArray();
        _rng.Shuffle(_order);
    }

    /// <summary>The index of the next row.</summary>
    public int Next()
    {
        if (_cursor == _order.Length)
        {
            Epoch++;
            _cursor = 0;
            _rng.Shuffle(_order);
        }
        return _order[_cursor++];
    }

    public void Save(GgufWriter w)
    {
        w.Set(TrainingCheckpoint.Prefix + "epoch", (long)Epoch);
        w.Set(TrainingCheckpoint.Prefix + "cursor", (long)_cursor);
        w.Set(TrainingCheckpoint.Prefix + "order", _order);
        w.Set(TrainingCheckpoint.Prefix + "rng", _rng.State);
    }

    public void Restore(GgufFile file)
    {
        string p = TrainingCheckpoint.Prefix;
        var order = (int[])(file.GetArray(p + "order") ?? throw new InvalidDataException($"{file.Path}: no {p}order")).Items;
        if (order.Length != _order.Length) throw new InvalidDataException($"{file.Path}: the saved order does not match the data file");
        Epoch = (int)file.RequireInteger(p + "epoch");
        _cursor = (int)file.RequireInteger(p + "cursor");
        _order = order;
        _rng = Xoshiro256StarStar.FromState(file.RequireString(p + "rng"));
    }
}
