using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace R1Sharp.Server.Api;

/// <summary>GET /health: 503 {"status":"loading"} until the model is loaded, then 200 {"status":"ok"}.</summary>
internal static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (EngineHolder holder) => holder switch
        {
            { Engine: not null } => Results.Json(new HealthResponse("ok"), ServerJsonContext.Default.HealthResponse),
            { LoadError: not null } => Results.Json(new HealthResponse("error"), ServerJsonContext.Default.HealthResponse, statusCode: 500),
            _ => Results.Json(new HealthResponse("loading"), ServerJsonContext.Default.HealthResponse, statusCode: 503),
        }).AllowAnonymous();   // open with --api-key (load balancers, docs/security.md)
        return app;
    }
}
