// Streams a model's thought and answer apart through R1Sharp's IChatClient. Arguments: [model.gguf] [question];
// without a model it takes $R1_MODEL, else the first models/*.gguf next to or above the app (the repository's bundled one).
using Microsoft.Extensions.AI;
using R1Sharp.Inference;
using R1Sharp.Inference.Batching;
using R1Sharp.Inference.ChatClient;

string model = DefaultModel.Resolve(args.ElementAtOrDefault(0));
string question = args.ElementAtOrDefault(1) ?? "What is 12 + 30?";
using IChatClient chat = new R1ChatClient(BatchingEngine.Load(model), ownsEngine: true);
string? channel = null;
await foreach (var update in chat.GetStreamingResponseAsync(question, new ChatOptions { Temperature = 0 }))
    foreach (var content in update.Contents)
    {
        (string name, string? text) = content switch
        {
            TextReasoningContent r => ("thought", r.Text),
            TextContent t => ("answer", t.Text),
            _ => (channel ?? "", null),
        };
        if (text is null) continue;
        if (name != channel) Console.Write($"{(channel is null ? "" : "\n")}[{channel = name}] ");
        Console.Write(text);
    }
Console.WriteLine();
