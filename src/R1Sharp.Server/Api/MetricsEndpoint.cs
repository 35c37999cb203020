using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace R1Sharp.Server.Api;

/// <summary>GET /metrics: Prometheus text format (version 0.0.4).</summary>
internal static class MetricsEndpoint
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (EngineHolder holder) =>
        {
            string text = holder.Engine?.Metrics.ToPrometheusText()
                ?? "# HELP r1_model_loaded Whether the model is loaded.\n# TYPE r1_model_loaded gauge\nr1_model_loaded 0\n";
            return Results.Text(text, "text/plain; version=0.0.4; charset=utf-8");
        });
        return app;
    }
}
