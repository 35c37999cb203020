using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using R1Sharp.Inference.Batching;

namespace R1Sharp.Server.Api;

/// <summary>POST /tokenize and /detokenize in llama.cpp server's shapes.</summary>
internal static class TokenizeEndpoints
{
    public static IEndpointRouteBuilder MapTokenize(this IEndpointRouteBuilder app)
    {
        app.MapPost("/tokenize", async (HttpContext context) =>
        {
            var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.TokenizeRequest);
            if (req.Content is null) throw ApiException.BadRequest("'content' is required", "content");
            var engine = ApiSupport.RequireEngine(context);
            int[] ids;
            try
            {
                ids = engine.Tokenize(req.Content, req.AddSpecial ?? false, req.ParseSpecial ?? true);
            }
            catch (ContextLengthExceededException e)
            {
                throw ApiSupport.ContextExceeded(e, "content");   // nothing longer than a prompt can be is tokenized
            }
            if (req.WithPieces == true)
            {
                var pieces = ids.Select(id => new TokenPieceDto(id, Piece(engine.TokenBytes(id)))).ToList();
                return Results.Json(new TokenizePiecesResponse(pieces), ServerJsonContext.Default.TokenizePiecesResponse);
            }
            return Results.Json(new TokenizeResponse([.. ids]), ServerJsonContext.Default.TokenizeResponse);
        });
        app.MapPost("/detokenize", async (HttpContext context) =>
        {
            var req = await ApiSupport.ReadJsonAsync(context, ServerJsonContext.Default.DetokenizeRequest);
            var engine = ApiSupport.RequireEngine(context);
            int[] ids = [.. req.Tokens ?? []];
            if (ids.Any(t => t < 0 || t >= engine.VocabSize))
                throw ApiException.BadRequest($"token ids must be between 0 and {engine.VocabSize - 1}", "tokens");
            return Results.Json(new DetokenizeResponse(engine.Detokenize(ids)), ServerJsonContext.Default.DetokenizeResponse);
        });
        return app;
    }

    // A piece that is not whole UTF-8 (part of a multi-byte character) is shown with replacement characters.
    private static string Piece(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
