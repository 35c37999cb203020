using R1Sharp.Bench;

// R1Sharp.Bench: benchmark tools (see docs/kernels.md).
//   make-model --type q8_0|q4_k_m [--out FILE] [--vocab FILE]   random-weight GGUF with the exact R1-Distill-Qwen-1.5B shape
//   matmul [--model FILE] [--type q8_0|q4_k_m] [--threads N] [--batch B] [--seconds S]
//                                                                matmul micro-benchmark over one token's weights
return args.Length == 0 ? Usage() : args[0] switch
{
    "make-model" => MakeModel.Run(args[1..]),
    "matmul" => MatMulBench.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: R1Sharp.Bench make-model --type q8_0|q4_k_m [--out FILE] | matmul [--model FILE] [--threads N] [--batch B]");
    return 2;
}
