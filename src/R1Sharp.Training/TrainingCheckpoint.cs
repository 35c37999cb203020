using System.Security.Cryptography;
using R1Sharp.Gguf;
using R1Sharp.Training.Sft;

namespace R1Sharp.Training;

/// <summary>
/// The pieces every trainer's checkpoint (DIR/checkpoint.gguf) is made of: the model's metadata and float32 tensors,
/// both AdamW moments (adam.m.NAME, adam.v.NAME) and run keys under <see cref="Prefix"/>. GgufWriter.Write writes a
/// temporary file, flushes it and renames it over the previous checkpoint, so a kill at any moment leaves the old or
/// the new checkpoint; <see cref="DeleteStaleTemporaries"/> removes a write that a kill cut short.
/// </summary>
public static class TrainingCheckpoint
{
    public const string FileName = "checkpoint.gguf";
    /// <summary>Run keys (options, step, data order, RNG): never copied into exported models.</summary>
    public const string Prefix = "r1.train.";

    /// <summary>The model metadata of a GGUF file (run keys left out).</summary>
    public static List<MetadataEntry> ModelMetadata(GgufFile file) =>
        file.MetadataKeys.Where(k => !k.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(k => new MetadataEntry(k, file.MetadataTypes[k], file.Metadata[k])).ToList();

    /// <summary>A writer holding <paramref name="metadata"/> and every parameter of <paramref name="model"/> as float32.</summary>
    public static GgufWriter ModelWriter(IEnumerable<MetadataEntry> metadata, TrainableModel model)
    {
        var w = new GgufWriter();
        foreach (var m in metadata) w.Add(m.Key, m.Type, m.Value);
        w.Set("general.file_type", 0u);
        ModelGguf.AddTensors(w, model.Parameters);
        return w;
    }

    public static void AddOptimizer(GgufWriter w, AdamW optimizer)
    {
        ModelGguf.AddTensors(w, optimizer.M, "adam.m.");
        ModelGguf.AddTensors(w, optimizer.V, "adam.v.");
    }

    /// <summary>Restores both moments and the step count (bias corrections) of <paramref name="optimizer"/>.</summary>
    public static void ReadOptimizer(GgufFile file, AdamW optimizer, int step)
    {
        ModelGguf.ReadInto(file, optimizer.M, "adam.m.");
        ModelGguf.ReadInto(file, optimizer.V, "adam.v.");
        optimizer.StepCount = step;
    }

    /// <summary>The checkpoint of the run in <paramref name="dir"/>; a leftover temporary file is deleted first.</summary>
    public static string Existing(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint in {dir} ({FileName} missing)");
        DeleteStaleTemporaries(dir);
        return path;
    }

    public static void DeleteStaleTemporaries(string dir)
    {
        foreach (string stale in Directory.GetFiles(dir, FileName + ".tmp*")) File.Delete(stale);
    }

    /// <summary>SHA-256 of a data file (a resume with changed data is refused).</summary>
    public static string HashFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s));
    }
}
