using R1Sharp.Bench;

// R1Sharp.Bench: benchmark tools (see docs/kernels.md).
//   make-model --type q8_0|q4_k_m|q4_0|... [--out FILE] [--vocab FILE]   random-weight GGUF with the exact R1-Distill-Qwen-1.5B shape
//   matmul [--model FILE] [--threads N] [--batch B] [--seconds S]        matmul micro-benchmark over one token's weights
//   kernels [--types q4_0,q8_0,...]                                     per-kernel, per-path compute speed (in cache, 1 thread)
//   attention [--length L] [--heads H] [--dim D]                         decode attention over one KV head, per path (1 thread)
//   compare-llama --models A.gguf,B.gguf [--rounds N] [-t T] [-p P] [-n N] [--depth D]
//                                                                        r1 bench vs llama.cpp (LLAMA_BENCH) alternating
return args.Length == 0 ? Usage() : args[0] switch
{
    "make-model" => MakeModel.Run(args[1..]),
    "matmul" => MatMulBench.Run(args[1..]),
    "compare-llama" => CompareLlama.Run(args[1..]),
    "kernels" => KernelBench.Run(args[1..]),
    "attention" => AttentionBench.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: R1Sharp.Bench make-model --type q8_0|q4_k_m|q4_0|... [--out FILE] | matmul [--model FILE] [--threads N] [--batch B]\n" +
                            "       | kernels [--types q4_0,q8_0,...] | attention [--length L] | compare-llama --models A.gguf,B.gguf [--rounds N] [-t T] [-p P] [-n N] [--depth D]   (LLAMA_BENCH=/path/llama-bench)");
    return 2;
}
