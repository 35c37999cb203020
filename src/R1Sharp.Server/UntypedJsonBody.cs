namespace R1Sharp.Server;

/// <summary>Endpoint metadata: the route reads its body as JSON whatever the Content-Type says. Ollama's clients and
/// documented curl calls (<c>curl -d '{...}'</c>) send no JSON content type, so its model routes accept any; the origin
/// check still refuses cross-site browser requests, and these routes change no stored data (<see cref="RequestGuard"/>).</summary>
internal sealed class UntypedJsonBody
{
    public static readonly UntypedJsonBody Instance = new();

    private UntypedJsonBody() { }
}
