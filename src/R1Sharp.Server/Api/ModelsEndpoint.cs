using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace R1Sharp.Server.Api;

/// <summary>GET /v1/models: the one loaded model.</summary>
internal static class ModelsEndpoint
{
    private static readonly long Started = ApiSupport.UnixNow();

    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", Handle);
        app.MapGet("/models", Handle);
        app.MapGet("/v1/models/{id}", (HttpContext context, string id) =>
        {
            var engine = ApiSupport.RequireEngine(context);
            if (id != engine.ModelName) throw new ApiException(404, $"the model '{id}' does not exist", "invalid_request_error", "model", "model_not_found");
            return Results.Json(Model(engine), ServerJsonContext.Default.ModelDto);
        });
        return app;
    }

    private static IResult Handle(HttpContext context)
    {
        var engine = ApiSupport.RequireEngine(context);
        return Results.Json(new ModelListResponse([Model(engine)]), ServerJsonContext.Default.ModelListResponse);
    }

    private static ModelDto Model(Inference.Batching.IGenerationEngine engine) =>
        new(engine.ModelName, Started, "r1sharp") { Meta = new ModelMetaDto(engine.ContextLength, engine.Slots) };
}
